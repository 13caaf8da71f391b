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
 * after that it maps to the verified claims until the token's `exp`, so a
 * page view costs a map lookup, not a signature check. Found by its
 * signature, answered only when the whole token is the same string (a
 * signature glued to other claims is verified in full), at most 8 KiB each. Bounded: the oldest entry
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
  // Found by the signature (a short string to hash), answered only for the very same whole token.
  const cache = new Map<string, { token: string; claims: LoginClaims }>()
  const cached = (token: unknown, now: number = Date.now()): LoginClaims | undefined => {
    if (max === 0 || typeof token !== 'string' || token.length > 8192) return undefined
    const key = signatureOf(token)
    const hit = cache.get(key)
    if (hit === undefined || hit.token !== token) return undefined
    // A hit is good until exp; nbf and iat were checked on the full verification and only move into the past.
    if (hit.claims.exp * 1000 > now) return hit.claims
    cache.delete(key)
    return undefined
  }
  const verify = async (keys: VerificationKeys, token: unknown, now: number = Date.now()): Promise<LoginClaims> => {
    const hit = cached(token, now)
    if (hit) return hit
    const claims = await verifyLoginToken(keys, token, { ...options, now })
    if (max > 0 && typeof token === 'string' && token.length <= 8192) {
      if (cache.size >= max) cache.delete(cache.keys().next().value!)
      // A flat copy: the token may be a slice of a whole Cookie header, which the cache must not keep alive.
      const flat = Buffer.from(token, 'latin1').toString('latin1')
      cache.set(signatureOf(flat), { token: flat, claims: Object.freeze(claims) })
    }
    return claims
  }
  return Object.assign(verify, { cached })
}

/** The part after the last dot (a JWS signature), or the whole string. */
function signatureOf(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1)
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
