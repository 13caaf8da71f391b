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
  /**
   * The state of a round trip already in flight in this browser (another
   * tab's), read from the state cookie: reused, so both tabs' answers match
   * the one cookie. A fresh state when absent.
   */
  inFlight?: string
}

/**
 * Send a browser to the hub to confirm its parent-domain token: a fresh
 * state in this app's host-only state cookie, and a redirect to the hub's
 * `/confirm` with the same state and this app's callback as the return
 * address. Only for top-level GET navigations (the hub refuses others).
 * A second tab that needs confirming while the first is on its way reuses
 * the first one's state, so neither answer is refused.
 *
 * @example
 * ```ts
 * return startConfirmation({ hubBase, origin, callbackPath: '/_session/confirm', back: '/t/1', cookies })
 * ```
 */
export function startConfirmation(options: StartConfirmationOptions): Response {
  const reuse = options.inFlight !== undefined && STATE.test(options.inFlight)
  const state = reuse ? options.inFlight! : randomBytes(16).toString('base64url')
  const callback = `${options.origin}${options.callbackPath}?return=${encodeURIComponent(options.back)}`
  const location = `${options.hubBase}/confirm?return=${encodeURIComponent(callback)}&state=${state}`
  const headers: Record<string, string | string[]> = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }
  if (!reuse) headers['set-cookie'] = [setCookie(options.cookies.state, state, STATE_SECONDS)]
  return redirect(location, headers, 302)
}

/** What the hub accepts as a state. */
const STATE = /^[A-Za-z0-9_-]{16,128}$/
