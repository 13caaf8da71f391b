import { randomBytes } from 'node:crypto'
import { setCookie } from '../http/cookies.js'
import { redirect } from '../http/respond.js'
import { STATE_SECONDS, type ConfirmCookies } from './cookies.js'

/** Options of {@link startConfirmation}. */
export interface StartConfirmationOptions {
  /** The hub's origin and base path, e.g. `https://auth.acme.com`. */
  hubBase: string
  /** This app's origin. */
  origin: string
  /** Path of this app's confirmation callback, e.g. `/_session/confirm`. */
  callbackPath: string
  /** Where to go once confirmed: a path on this app (path, query). */
  back: string
  cookies: ConfirmCookies
  /** More `Set-Cookie` values for the same response (a bounce marker). */
  setCookies?: string[]
}

/**
 * Send a browser to the hub to confirm its parent-domain token: a fresh
 * state in this app's host-only state cookie, and a redirect to the hub's
 * `/confirm` with the same state and this app's callback as the return
 * address. Only for top-level GET navigations (the hub refuses others).
 *
 * @example
 * ```ts
 * return startConfirmation({ hubBase, origin, callbackPath: '/_session/confirm', back: '/t/1', cookies })
 * ```
 */
export function startConfirmation(options: StartConfirmationOptions): Response {
  const state = randomBytes(16).toString('base64url')
  const callback = `${options.origin}${options.callbackPath}?return=${encodeURIComponent(options.back)}`
  const location = `${options.hubBase}/confirm?return=${encodeURIComponent(callback)}&state=${state}`
  const cookies = [setCookie(options.cookies.state, state, STATE_SECONDS), ...(options.setCookies ?? [])]
  return redirect(location, { 'set-cookie': cookies, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, 302)
}
