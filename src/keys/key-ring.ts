import { importJWK, type JWK } from 'jose'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { KeysConfig, SigningAlgorithm } from './config.js'
import { deriveKey } from './derive.js'
import { parseMasterSecret } from './secret.js'
import { importVerificationKey, publicPart, type VerificationKeys } from './verification-keys.js'

/** A derived handoff key and the 4-byte id sealed payloads name it by. */
export interface HandoffKey {
  id: Buffer
  key: Buffer
}

/** A public JSON Web Key Set, as served at `/.well-known/jwks.json`. */
export interface Jwks {
  keys: JWK[]
}

/**
 * Everything cryptographic a hub or member needs, loaded once from
 * configuration: purpose keys derived from the master secret, the signer,
 * the verification keys and the public JWKS.
 *
 * @example
 * ```ts
 * const ring = await loadKeyRing(config.keys)
 * const token = await signLoginToken(ring, { issuer, audience, user, sid })
 * ```
 */
export interface KeyRing {
  /** Handoff keys; `handoff[0]` seals, every one opens (rotation overlap). */
  handoff: HandoffKey[]
  /** Key for binding pull results to a state cookie. */
  state: Buffer
  /** Key for CSRF tokens of forms. */
  csrf: Buffer
  signer: { kid: string; alg: SigningAlgorithm; key: CryptoKey | Uint8Array }
  verification: VerificationKeys
  jwks: Jwks
}

/**
 * Load a {@link KeyRing} from configuration, validating everything once so
 * a bad key fails at start-up rather than on the first request.
 *
 * @example
 * ```ts
 * const ring = await loadKeyRing(await generateKeysConfig())
 * ring.jwks // { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '…', kid: '…', alg: 'EdDSA', use: 'sig' }] }
 * ```
 */
export async function loadKeyRing(config: KeysConfig): Promise<KeyRing> {
  const secrets = [config.secret, ...(config.previousSecrets ?? [])].map((s, i) =>
    parseMasterSecret(s, i === 0 ? 'keys.secret' : `keys.previousSecrets[${i - 1}]`),
  )
  const master = secrets[0]!
  const handoff = secrets.map((s) => ({ id: deriveKey(s, 'handoff key id', 4), key: deriveKey(s, 'handoff v1') }))

  if (!Array.isArray(config.signingKeys) || config.signingKeys.length === 0) {
    throw new SharedSessionError('ERR_KEY_INVALID', 'keys.signingKeys needs at least one key; generate one with generateSigningKey()')
  }
  const verification = new Map<string, Awaited<ReturnType<typeof importVerificationKey>>>()
  const jwks: Jwks = { keys: [] }
  for (const jwk of config.signingKeys) {
    const key = await importVerificationKey(jwk as JWK)
    if (verification.has(key.kid)) throw new SharedSessionError('ERR_KEY_INVALID', `signing key "${key.kid}" appears twice; every kid must be unique`)
    verification.set(key.kid, key)
    if (key.alg !== 'HS256') jwks.keys.push({ ...publicPart(jwk as JWK), kid: key.kid, alg: key.alg, use: 'sig' })
  }
  const first = config.signingKeys[0]!
  if (first.kty !== 'oct' && typeof first.d !== 'string') {
    throw new SharedSessionError('ERR_KEY_INVALID', `signing key "${first.kid}" signs, so it needs its private part "d"`)
  }
  const signerKey = first.alg === 'HS256' ? verification.get(first.kid)!.key : await importJWK(first as JWK, first.alg).catch((cause: unknown) => {
    throw new SharedSessionError('ERR_KEY_INVALID', `signing key "${first.kid}": "d" is not a private key matching "x"/"y": ${(cause as Error).message}`, { cause })
  })
  return {
    handoff,
    state: deriveKey(master, 'state v1'),
    csrf: deriveKey(master, 'csrf v1'),
    signer: { kid: first.kid, alg: first.alg, key: signerKey },
    verification,
    jwks,
  }
}

