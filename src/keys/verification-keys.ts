import { importJWK, type JWK } from 'jose'
import { SharedSessionError } from '../errors/shared-session-error.js'
import { parseMasterSecret } from './secret.js'
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './config.js'

/** A key that verifies tokens, pinned to exactly one algorithm. */
export interface VerificationKey {
  kid: string
  alg: SigningAlgorithm
  key: CryptoKey | Uint8Array
}

/**
 * Keys a verifier trusts, by `kid`. Built from configuration or from the
 * hub's JWKS; never from anything a token carries (`jku`, `jwk`, `x5u`).
 *
 * @example
 * ```ts
 * const keys = await importVerificationKeys(await (await fetch(jwksUrl)).json())
 * ```
 */
export type VerificationKeys = ReadonlyMap<string, VerificationKey>

const KTY_FOR: Record<SigningAlgorithm, string> = { EdDSA: 'OKP', ES256: 'EC', HS256: 'oct' }

/**
 * Import one JWK as a verification key, checking that its `kty`, curve and
 * `alg` agree so a key can never be used with an algorithm it was not made
 * for (the "HS256 signed with the public key" confusion).
 *
 * @example
 * ```ts
 * const key = await importVerificationKey({ kty: 'OKP', crv: 'Ed25519', x: '…', kid: 'k1', alg: 'EdDSA' })
 * ```
 */
export async function importVerificationKey(jwk: JWK): Promise<VerificationKey> {
  const where = `key ${JSON.stringify(jwk.kid ?? '(no kid)')}`
  if (typeof jwk.kid !== 'string' || jwk.kid === '') throw invalid(`${where}: every key needs a non-empty "kid"`)
  const alg = jwk.alg as SigningAlgorithm
  if (!SIGNING_ALGORITHMS.includes(alg)) throw invalid(`${where}: "alg" must be one of ${SIGNING_ALGORITHMS.join(', ')}`)
  if (jwk.kty !== KTY_FOR[alg]) throw invalid(`${where}: alg ${alg} needs kty "${KTY_FOR[alg]}", not "${jwk.kty}"`)
  if (alg === 'EdDSA' && jwk.crv !== 'Ed25519') throw invalid(`${where}: EdDSA keys must use crv "Ed25519"`)
  if (alg === 'ES256' && jwk.crv !== 'P-256') throw invalid(`${where}: ES256 keys must use crv "P-256"`)
  // An HMAC key is a shared secret: held to the same bar as the master secret.
  if (alg === 'HS256') parseMasterSecret(jwk.k, `${where}: "k"`)
  const material = alg === 'HS256' ? { kty: 'oct', k: jwk.k } : publicPart(jwk)
  try {
    return { kid: jwk.kid, alg, key: await importJWK(material, alg) }
  } catch (cause) {
    throw invalid(`${where}: cannot import: ${(cause as Error).message}`, cause)
  }
}

/**
 * Import a JWKS (`{ keys: [...] }`) as verification keys. Keys with
 * `use` other than `sig` are skipped; a duplicate `kid` is refused.
 *
 * @example
 * ```ts
 * const keys = await importVerificationKeys({ keys: [publicJwk] })
 * keys.get(publicJwk.kid)?.alg // 'EdDSA'
 * ```
 */
export async function importVerificationKeys(jwks: { keys: JWK[] }): Promise<VerificationKeys> {
  if (!jwks || !Array.isArray(jwks.keys)) throw invalid('a JWKS must be an object with a "keys" array')
  const keys = new Map<string, VerificationKey>()
  for (const jwk of jwks.keys) {
    if (jwk.use !== undefined && jwk.use !== 'sig') continue
    const key = await importVerificationKey(jwk)
    if (keys.has(key.kid)) throw invalid(`key "${key.kid}" appears twice; every kid must be unique`)
    keys.set(key.kid, key)
  }
  return keys
}

/** The public members of an asymmetric JWK (never `d`). */
export function publicPart(jwk: JWK): JWK {
  const { kty, crv, x, y } = jwk
  return Object.fromEntries(Object.entries({ kty, crv, x, y }).filter(([, v]) => v !== undefined)) as JWK
}

function invalid(message: string, cause?: unknown): SharedSessionError {
  return new SharedSessionError('ERR_KEY_INVALID', message, { cause })
}
