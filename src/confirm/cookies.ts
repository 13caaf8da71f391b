import { createHash } from 'node:crypto'
import type { CookieSpec } from '../http/cookies.js'

/**
 * The two host-only cookies a token-only app keeps on its own host for
 * token confirmation: `bound` records what the hub vouched for, `state`
 * ties a confirmation answer to the browser that asked for it. `__Host-`
 * on https (no sibling host can set them), plain names on http. Chosen by
 * the hub's security, like the token cookie's name: a `__Secure-` token
 * reaches https apps only.
 *
 * @example
 * ```ts
 * confirmCookies(true).bound.name // '__Host-ss-bound'
 * ```
 */
export interface ConfirmCookies {
  bound: CookieSpec
  state: CookieSpec
}

/**
 * The {@link ConfirmCookies} for a hub that marks its cookies `Secure` (or not).
 *
 * @example
 * ```ts
 * const cookies = confirmCookies(marksCookiesSecure('https://auth.acme.com'))
 * ```
 */
export function confirmCookies(secure: boolean): ConfirmCookies {
  const prefix = secure ? '__Host-' : ''
  return {
    bound: { name: `${prefix}ss-bound`, secure, sameSite: 'lax' },
    state: { name: `${prefix}ss-confirm`, secure, sameSite: 'lax' },
  }
}

/**
 * The digest of a session reference (`sid`) kept in the binding cookie: the
 * first 22 characters of its SHA-256 in base64url. Any language computes it
 * the same way.
 *
 * @example
 * ```ts
 * sidDigest('s_1') // 22 base64url characters
 * ```
 */
export function sidDigest(sid: string): string {
  return createHash('sha256').update(sid, 'utf8').digest('base64url').slice(0, 22)
}

/** How long the binding lasts without a new confirmation (30 days; a new session confirms anew anyway). */
export const BOUND_SECONDS = 30 * 86_400
/** How long a confirmation round trip may take. */
export const STATE_SECONDS = 120
