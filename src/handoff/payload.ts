/**
 * A cross-site handoff payload: which global session (`ref`) moves from
 * site `src` to site `dst`, when it was made and until when it is good,
 * a single-use id, and for the pull flow the hash of the destination's
 * state cookie it is bound to. `ref` is null for a bound "no session" answer.
 *
 * @example
 * ```ts
 * const payload: HandoffPayload = { ref, src: 'shop', dst: 'shop-de', iat: 1795411018, exp: 1795411048, jti }
 * ```
 */
export interface HandoffPayload {
  /** Global session reference (43-character base64url), or null for "no session". */
  ref: string | null
  /** Source site name. */
  src: string
  /** Destination site name. */
  dst: string
  /** Issued at, seconds since the epoch. */
  iat: number
  /** Expires at, seconds since the epoch. */
  exp: number
  /** Single-use id (22-character base64url of 128 bits). */
  jti: string
  /** base64url SHA-256 of the state cookie this answer is bound to (pull only). */
  bind?: string
}

/** Site names in payloads: short, so a loader tag stays small. */
export const SITE_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/
