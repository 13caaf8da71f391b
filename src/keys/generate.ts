import { randomBytes } from 'node:crypto'
import { exportJWK, generateKeyPair } from 'jose'
import type { KeysConfig, SigningAlgorithm, SigningJwk } from './config.js'

/**
 * A fresh master secret: 32 random bytes (256 bits), base64url.
 *
 * @example
 * ```ts
 * const secret = generateSecret() // 'Qm9…' (43 characters)
 * ```
 */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * A fresh signing key as a private JWK with a `kid` made of the date and
 * random bits, so keys sort by age and never collide.
 *
 * @example
 * ```ts
 * const key = await generateSigningKey('ES256')
 * ```
 */
export async function generateSigningKey(alg: SigningAlgorithm = 'EdDSA', now = new Date()): Promise<SigningJwk> {
  const kid = `${now.toISOString().slice(0, 10)}.${randomBytes(6).toString('base64url')}`
  if (alg === 'HS256') return { kty: 'oct', k: randomBytes(32).toString('base64url'), kid, alg }
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) })
  const jwk = await exportJWK(privateKey)
  return { ...(jwk as Omit<SigningJwk, 'kid' | 'alg'>), kid, alg }
}

/**
 * A complete, fresh key configuration: a new master secret and one signing
 * key. One call, ready to write into a configuration file.
 *
 * @example
 * ```ts
 * const keys = await generateKeysConfig()           // EdDSA (Ed25519)
 * const shared = await generateKeysConfig({ alg: 'HS256' }) // shared-secret setup
 * ```
 */
export async function generateKeysConfig(options: { alg?: SigningAlgorithm } = {}): Promise<KeysConfig> {
  return { secret: generateSecret(), previousSecrets: [], signingKeys: [await generateSigningKey(options.alg ?? 'EdDSA')] }
}
