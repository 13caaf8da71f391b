import { readCookie, setCookie } from '../http/cookies.js'
import type { RequestHead } from '../http/request-head.js'
import { BOUND_SECONDS, sidDigest, type ConfirmCookies } from './cookies.js'

/**
 * What a token-only app may make of a valid parent-domain token in this
 * browser: `confirmed` (the hub vouched for its session here), `refused`
 * (the hub was asked about this very token and did not vouch: a sibling
 * host tossed it) or `unconfirmed` (not asked yet: confirm with the hub in a
 * top-level round trip before trusting it).
 *
 * @example
 * ```ts
 * const standing: TokenStanding = tokenStanding(request, cookies, claims.sid)
 * ```
 */
export type TokenStanding = 'confirmed' | 'refused' | 'unconfirmed'

/**
 * Judge a verified token's `sid` against the host-only binding cookie,
 * `<digest of the hub's session>.<digest of the token's session when asked>`
 * (`-` for none). Two binding cookies, or a malformed one, count as none.
 *
 * @example
 * ```ts
 * if (tokenStanding(request, cookies, claims.sid) === 'confirmed') signIn(claims)
 * ```
 */
export function tokenStanding(request: RequestHead, cookies: ConfirmCookies, sid: string): TokenStanding {
  const match = /^([A-Za-z0-9_-]{22}|-)\.([A-Za-z0-9_-]{22}|-)$/.exec(readCookie(request, cookies.bound.name) ?? '')
  if (!match) return 'unconfirmed'
  const digest = sidDigest(sid)
  if (match[1] === digest) return 'confirmed'
  return match[2] === digest ? 'refused' : 'unconfirmed'
}

/**
 * The `Set-Cookie` recording a confirmation: the session the hub vouched
 * for (`hubSid`, null when the browser has no signed-in hub session) and the
 * session of the token the browser held when asking (`tokenSid`).
 *
 * @example
 * ```ts
 * headers['set-cookie'] = [bindingCookie(cookies, confirmation.sid ?? null, claims?.sid ?? null)]
 * ```
 */
export function bindingCookie(cookies: ConfirmCookies, hubSid: string | null, tokenSid: string | null): string {
  const part = (sid: string | null) => (sid === null ? '-' : sidDigest(sid))
  return setCookie(cookies.bound, `${part(hubSid)}.${part(tokenSid)}`, BOUND_SECONDS)
}
