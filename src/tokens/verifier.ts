import type { VerificationKeys } from '../keys/verification-keys.js'
import type { LoginClaims } from './claims.js'
import { verifyLoginToken, type VerifyLoginTokenOptions } from './verify.js'

/** Options of {@link createTokenVerifier}: those of verifyLoginToken, plus the cache size. */
export interface TokenVerifierOptions extends Omit<VerifyLoginTokenOptions, 'now'> {
  /** Verified tokens remembered (keyed by the whole token) until their `exp`. Default 10,000; 0 turns the cache off. */
  cacheSize?: number
}

/**
 * A login token verifier for hot paths. A token is verified in full once;
 * after that the token string itself maps to the verified claims until the
 * token's `exp`, so a page view costs a map lookup, not a signature check.
 * Keyed by the whole token (never the signature alone, which could be
 * glued to other claims), at most 8 KiB each. Bounded: the oldest entry
 * goes first. Revocation is not cached: callers still check the session on
 * every request.
 *
 * @example
 * ```ts
 * const verify = createTokenVerifier({ issuer, audience })
 * const claims = await verify(ring.verification, token)
 * ```
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const max = options.cacheSize ?? 10_000
  const cache = new Map<string, LoginClaims>()
  const cached = (token: unknown, now: number = Date.now()): LoginClaims | undefined => {
    if (max === 0 || typeof token !== 'string' || token.length > 8192) return undefined
    const hit = cache.get(token)
    // A hit is good until exp; nbf and iat were checked on the full verification and only move into the past.
    if (hit === undefined || hit.exp * 1000 > now) return hit
    cache.delete(token)
    return undefined
  }
  const verify = async (keys: VerificationKeys, token: unknown, now: number = Date.now()): Promise<LoginClaims> => {
    const hit = cached(token, now)
    if (hit) return hit
    const claims = await verifyLoginToken(keys, token, { ...options, now })
    if (max > 0 && typeof token === 'string' && token.length <= 8192) {
      if (cache.size >= max) cache.delete(cache.keys().next().value!)
      // A flat copy of the key: the token may be a slice of a whole Cookie header, which the cache must not keep alive.
      cache.set(Buffer.from(token, 'latin1').toString('latin1'), Object.freeze(claims))
    }
    return claims
  }
  return Object.assign(verify, { cached })
}

/**
 * What {@link createTokenVerifier} returns: verify a token (from the cache
 * when it was verified before), and `cached` for the cache alone, without
 * a promise: the claims of a token verified before and not yet expired, or
 * undefined (then verify it).
 *
 * @example
 * ```ts
 * const claims = verify.cached(token, now) ?? (await verify(ring.verification, token, now))
 * ```
 */
export interface TokenVerifier {
  (keys: VerificationKeys, token: unknown, now?: number): Promise<LoginClaims>
  cached(token: unknown, now?: number): LoginClaims | undefined
}
