import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { SharedSessionError } from '../errors/shared-session-error.js'
import { readCookie, setCookie, type CookieSpec } from './cookies.js'
import { originAllowed } from './origin-check.js'
import type { RequestHead } from './request-head.js'
import { isWellFormedId } from '../sessions/ids.js'

/**
 * Where CSRF tokens come from: the HKDF CSRF key, the double-submit cookie
 * (random, HttpOnly, SameSite=Strict, host-only) and a label that keeps one
 * site's tokens from passing at another.
 *
 * @example
 * ```ts
 * const csrf: CsrfSetup = { keys: [ring.csrf], cookie: { name: '__Host-ss-csrf', secure: true, sameSite: 'strict' }, label: 'shop' }
 * ```
 */
export interface CsrfSetup {
  /** The first key signs; every one verifies (rotation overlap). */
  keys: readonly Uint8Array[]
  cookie: CookieSpec
  label: string
}

/**
 * The CSRF token for a form, and the `Set-Cookie` to send when the browser
 * has no CSRF cookie yet. The token is an HMAC of the cookie (a signed
 * double-submit): a cross-site page can neither read it nor make the browser
 * send the Strict cookie.
 *
 * @example
 * ```ts
 * const { token, cookie } = csrfToken(setup, request)
 * if (cookie) headers.append('set-cookie', cookie)
 * ```
 */
export function csrfToken(setup: CsrfSetup, request: RequestHead): { token: string; cookie?: string } {
  const existing = readCookie(request, setup.cookie.name)
  if (isWellFormedId(existing)) return { token: sign(setup, existing) }
  const fresh = randomBytes(32).toString('base64url')
  return { token: sign(setup, fresh), cookie: setCookie(setup.cookie, fresh) }
}

/**
 * Refuse a state-changing request that did not come from one of `origins`
 * (by `Origin`, else `Sec-Fetch-Site: same-origin`) or lacks a valid token.
 * With `requireToken` both must hold; otherwise a browser's `Origin` alone
 * is enough, and the token is required only from clients that send neither
 * header (old browsers), so they are never let through on trust.
 *
 * @example
 * ```ts
 * checkCsrf(setup, request, form.get('csrf'), { origins: new Set([origin]), requireToken: true })
 * ```
 */
export function checkCsrf(setup: CsrfSetup, request: RequestHead, formToken: unknown, rule: { origins: ReadonlySet<string>; requireToken: boolean }): void {
  if (!originAllowed(request, rule.origins)) throw new SharedSessionError('ERR_CSRF', 'this form was posted from another site', { detail: 'origin' })
  const proven = request.headers.get('origin') !== null || request.headers.get('sec-fetch-site') !== null
  if (!rule.requireToken && proven) return
  const cookie = readCookie(request, setup.cookie.name)
  const valid = isWellFormedId(cookie) && typeof formToken === 'string' && setup.keys.some((key) => equal(formToken, sign(setup, cookie, key)))
  if (!valid) throw new SharedSessionError('ERR_CSRF', 'the form expired; reload the page and try again', { detail: 'csrf' })
}

function sign(setup: CsrfSetup, cookieValue: string, key = setup.keys[0]!): string {
  return createHmac('sha256', key).update(`${setup.label}\0${cookieValue}`).digest('base64url')
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
