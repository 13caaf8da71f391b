import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { SharedSessionError } from '../errors/shared-session-error.js'
import { readCookie, setCookie } from '../http/cookies.js'
import { originAllowed } from '../http/origin-check.js'
import { isWellFormedId } from '../sessions/ids.js'
import type { HubContext } from './options.js'
import type { RequestWithBody } from '../http/request-head.js'

/**
 * The CSRF token for the hub's forms, and the `Set-Cookie` to send when the
 * browser has no CSRF cookie yet. The token is an HMAC of a random
 * SameSite=Strict cookie under the HKDF CSRF key (a signed double-submit),
 * so a cross-site page can neither read it nor make the browser send the cookie.
 *
 * @example
 * ```ts
 * const { token, cookie } = csrfForForm(ctx, request)
 * ```
 */
export function csrfForForm(ctx: HubContext, request: RequestWithBody): { token: string; cookie?: string } {
  const existing = readCookie(request, ctx.csrfCookie.name)
  if (isWellFormedId(existing)) return { token: sign(ctx, existing) }
  const fresh = randomBytes(32).toString('base64url')
  return { token: sign(ctx, fresh), cookie: setCookie(ctx.csrfCookie, fresh) }
}

/**
 * Refuse a state-changing POST that did not come from an allowed origin or
 * lacks a valid CSRF token. With `requireToken`, both must hold (login);
 * otherwise an allowed `Origin` alone is enough (logout posted by a member
 * page, which cannot know the hub's token).
 *
 * @example
 * ```ts
 * checkCsrf(ctx, request, form.get('csrf'), { origins: new Set([ctx.origin]), requireToken: true })
 * ```
 */
export function checkCsrf(
  ctx: HubContext,
  request: RequestWithBody,
  formToken: unknown,
  rule: { origins: ReadonlySet<string>; requireToken: boolean },
): void {
  if (!originAllowed(request, rule.origins)) throw new SharedSessionError('ERR_CSRF', 'this form was posted from another site', { detail: 'origin' })
  if (!rule.requireToken && request.headers.get('origin') !== null) return
  const cookie = readCookie(request, ctx.csrfCookie.name)
  const valid = isWellFormedId(cookie) && typeof formToken === 'string' && equal(formToken, sign(ctx, cookie))
  if (!valid) throw new SharedSessionError('ERR_CSRF', 'the form expired; reload the page and try again', { detail: 'csrf' })
}

function sign(ctx: HubContext, cookieValue: string): string {
  return createHmac('sha256', ctx.ring.csrf).update(cookieValue).digest('base64url')
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
