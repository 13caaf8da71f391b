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
  /**
   * ISO time from which this key signs. Before it the key is published and
   * verifies but does not sign, so every verifier learns it first (the
   * overlap of `shared-session keys rotate`). Absent: active already.
   */
  activeFrom?: string
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
  /**
   * A rotation in progress: the next master secret opens payloads now and
   * starts sealing at `activeFrom` (ISO time), so every running hub and
   * member learns it before anyone seals with it.
   */
  nextSecret?: { secret: string; activeFrom: string }
  /** Signing keys, newest first: the first active one signs, every one verifies. */
  signingKeys: SigningJwk[]
}

/**
 * One derived handoff key as a member configuration carries it: the 4-byte
 * key id payloads name it by and the 32-byte AES key, both base64url. The
 * master secret it was derived from stays with the hub.
 *
 * @example
 * ```ts
 * const key: HandoffKeyConfig = { id: 'x8Kq2w', key: 'b1…', activeFrom: '2026-11-30T18:00:00.000Z' }
 * ```
 */
export interface HandoffKeyConfig {
  id: string
  key: string
  /** ISO time from which this key seals; before it, it only opens. */
  activeFrom?: string
}

/**
 * The key material of a member that is not the hub: derived handoff keys
 * (newest first) and the hub's public JWKS. No master secret, no private
 * signing key: a ring loaded from it seals and opens payloads and verifies
 * tokens, but cannot sign tokens or run a hub.
 *
 * @example
 * ```ts
 * const keys: MemberKeysConfig = { handoff: [{ id: 'x8Kq2w', key: 'b1…' }], jwks: { keys: [publicJwk] } }
 * const ring = await loadKeyRing(keys)
 * ```
 */
export interface MemberKeysConfig {
  handoff: HandoffKeyConfig[]
  /** The hub's public keys (plus the shared keys of an HS256 deployment). */
  jwks: { keys: SigningJwk[] }
  /** Where the hub publishes its JWKS, for reference and for consumers in other languages. */
  jwksUrl?: string
}

/**
 * True when `keys` is a member's share ({@link MemberKeysConfig}) rather
 * than the hub's full {@link KeysConfig}.
 *
 * @example
 * ```ts
 * if (isMemberKeysConfig(config.keys)) console.log('verification only')
 * ```
 */
export function isMemberKeysConfig(keys: KeysConfig | MemberKeysConfig): keys is MemberKeysConfig {
  return typeof keys === 'object' && keys !== null && Array.isArray((keys as MemberKeysConfig).handoff)
}
