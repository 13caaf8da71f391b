/** The algorithms a signing key may use. EdDSA (Ed25519) is the default. */
export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'HS256'

/** Every algorithm shared-session signs or accepts; anything else is refused. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'HS256']

/**
 * A signing key as a private JWK: OKP/Ed25519 (`d`, `x`), EC/P-256 (`d`, `x`, `y`)
 * or oct (`k`, at least 32 bytes), always with `kid` and `alg`.
 *
 * @example
 * ```ts
 * const key: SigningJwk = { kty: 'OKP', crv: 'Ed25519', x: '…', d: '…', kid: '2026-11-23', alg: 'EdDSA' }
 * ```
 */
export interface SigningJwk {
  kty: 'OKP' | 'EC' | 'oct'
  kid: string
  alg: SigningAlgorithm
  crv?: string
  x?: string
  y?: string
  d?: string
  k?: string
}

/**
 * The key material of a deployment, as it sits in configuration.
 *
 * @example
 * ```ts
 * const keys: KeysConfig = await generateKeysConfig()
 * // { secret: 'q1…', previousSecrets: [], signingKeys: [{ kty: 'OKP', alg: 'EdDSA', kid: '…', … }] }
 * ```
 */
export interface KeysConfig {
  /**
   * Master secret: base64url of at least 32 random bytes. Handoff, state
   * and CSRF keys are derived from it with HKDF; it is never used directly.
   */
  secret: string
  /** Former master secrets: payloads sealed under them still open during rotation. */
  previousSecrets?: string[]
  /** Signing keys, newest first: the first signs, every one verifies. */
  signingKeys: SigningJwk[]
}
