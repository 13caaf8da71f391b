import { importJWK, type JWK } from 'jose'
import { SharedSessionError } from '../errors/shared-session-error.js'
import { decodeBase64url } from '../lib/base64url.js'
import { isMemberKeysConfig, type KeysConfig, type MemberKeysConfig, type SigningAlgorithm, type SigningJwk } from './config.js'
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
  /** False for a ring loaded from a member's share: it cannot sign tokens or run a hub. */
  holdsPrivateKeys: boolean
  /** When a key with a future `activeFrom` takes over (ms since 1970), or null: load the ring again then. */
  nextChange: number | null
}

/**
 * Load a {@link KeyRing} from configuration, validating everything once so
 * a bad key fails at start-up rather than on the first request.
 *
 * Takes the hub's full {@link KeysConfig} or a member's share
 * ({@link MemberKeysConfig}: derived handoff keys and the public JWKS). A
 * ring from a member's share seals, opens and verifies, but cannot sign
 * tokens or CSRF forms: reading `signer`, `csrf` or `state` throws.
 *
 * Keys with an `activeFrom` in the future are known (they open and verify)
 * but do not seal or sign until then; `nextChange` says when the ring must
 * be loaded again to pick them up ({@link watchKeyRing} does that).
 *
 * @example
 * ```ts
 * const ring = await loadKeyRing(await generateKeysConfig())
 * ring.jwks // { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '…', kid: '…', alg: 'EdDSA', use: 'sig' }] }
 * ```
 */
export async function loadKeyRing(config: KeysConfig | MemberKeysConfig, now = Date.now()): Promise<KeyRing> {
  if (!config || typeof config !== 'object') throw new SharedSessionError('ERR_KEY_INVALID', 'keys must be an object: the "keys" of a configuration file')
  return isMemberKeysConfig(config) ? loadMemberRing(config, now) : loadFullRing(config, now)
}

async function loadFullRing(config: KeysConfig, now: number): Promise<KeyRing> {
  const master = parseMasterSecret(config.secret, 'keys.secret')
  const derived = (secret: Buffer, activeFrom?: number): DatedHandoffKey => ({ id: deriveKey(secret, 'handoff key id', 4), key: deriveKey(secret, 'handoff v1'), activeFrom })
  const dated: DatedHandoffKey[] = []
  if (config.nextSecret !== undefined) {
    const next = config.nextSecret
    if (!next || typeof next !== 'object') throw new SharedSessionError('ERR_KEY_INVALID', 'keys.nextSecret must be { "secret": "…", "activeFrom": "<ISO time>" }')
    dated.push(derived(parseMasterSecret(next.secret, 'keys.nextSecret.secret'), parseTime(next.activeFrom, 'keys.nextSecret.activeFrom')))
  }
  dated.push(derived(master))
  for (const [i, s] of (config.previousSecrets ?? []).entries()) dated.push(derived(parseMasterSecret(s, `keys.previousSecrets[${i}]`)))

  if (!Array.isArray(config.signingKeys) || config.signingKeys.length === 0) {
    throw new SharedSessionError('ERR_KEY_INVALID', 'keys.signingKeys needs at least one key; generate one with generateSigningKey()')
  }
  const { verification, jwks } = await importKeys(config.signingKeys)
  const times = config.signingKeys.map((k) => parseTime(k.activeFrom, `signing key "${k.kid}".activeFrom`))
  const index = times.findIndex((t) => t === undefined || t <= now)
  if (index === -1) throw new SharedSessionError('ERR_KEY_INVALID', 'keys.signingKeys: no key is active yet (every activeFrom is in the future); keep the current key in the list')
  const first = config.signingKeys[index]!
  if (first.kty !== 'oct' && typeof first.d !== 'string') {
    throw new SharedSessionError('ERR_KEY_INVALID', `signing key "${first.kid}" signs, so it needs its private part "d"`)
  }
  const signerKey = first.alg === 'HS256' ? verification.get(first.kid)!.key : await importJWK(first as JWK, first.alg).catch((cause: unknown) => {
    throw new SharedSessionError('ERR_KEY_INVALID', `signing key "${first.kid}": "d" is not a private key matching "x"/"y": ${(cause as Error).message}`, { cause })
  })
  return {
    handoff: sealerFirst(dated, now),
    state: deriveKey(master, 'state v1'),
    csrf: deriveKey(master, 'csrf v1'),
    signer: { kid: first.kid, alg: first.alg, key: signerKey },
    verification,
    jwks,
    holdsPrivateKeys: true,
    nextChange: nextChange([...dated.map((k) => k.activeFrom), ...times], now),
  }
}

async function loadMemberRing(config: MemberKeysConfig, now: number): Promise<KeyRing> {
  if (config.handoff.length === 0) throw new SharedSessionError('ERR_KEY_INVALID', 'keys.handoff needs at least one key; regenerate the file with `shared-session config member <site>`')
  const dated = config.handoff.map((k, i): DatedHandoffKey => {
    const id = decodeBase64url(typeof k?.id === 'string' ? k.id : '')
    const key = decodeBase64url(typeof k?.key === 'string' ? k.key : '')
    if (!id || id.length !== 4 || !key || key.length !== 32 || new Set(key).size < 12) {
      throw new SharedSessionError('ERR_KEY_INVALID', `keys.handoff[${i}] must be { "id": 4 bytes, "key": 32 random bytes } in base64url; regenerate the file with \`shared-session config member <site>\``)
    }
    return { id, key, activeFrom: parseTime(k.activeFrom, `keys.handoff[${i}].activeFrom`) }
  })
  if (!config.jwks || !Array.isArray(config.jwks.keys)) throw new SharedSessionError('ERR_KEY_INVALID', 'keys.jwks must be the hub\'s JWKS ({ "keys": [...] }); regenerate the file with `shared-session config member <site>`')
  const { verification, jwks } = await importKeys(config.jwks.keys)
  const times = config.jwks.keys.map((k) => parseTime(k.activeFrom, `keys.jwks "${k.kid}".activeFrom`))
  const noPrivate = (what: string) => () => {
    throw new SharedSessionError('ERR_KEY_INVALID', `this key ring comes from a member configuration, which holds no ${what}; only the hub (with its full configuration) can use it`)
  }
  const ring = {
    handoff: sealerFirst(dated, now),
    verification,
    jwks,
    holdsPrivateKeys: false,
    nextChange: nextChange([...dated.map((k) => k.activeFrom), ...times], now),
  }
  Object.defineProperties(ring, {
    signer: { get: noPrivate('private signing key'), enumerable: false, configurable: true },
    state: { get: noPrivate('master secret (state key)'), enumerable: false, configurable: true },
    csrf: { get: noPrivate('master secret (CSRF key)'), enumerable: false, configurable: true },
  })
  return ring as KeyRing
}

interface DatedHandoffKey extends HandoffKey {
  activeFrom: number | undefined
}

/** The newest key that is active seals (`[0]`); the others keep opening. Input is newest first. */
function sealerFirst(keys: DatedHandoffKey[], now: number): HandoffKey[] {
  const index = keys.findIndex((k) => k.activeFrom === undefined || k.activeFrom <= now)
  if (index === -1) throw new SharedSessionError('ERR_KEY_INVALID', 'no handoff key is active yet (every activeFrom is in the future); keep the current key in the list')
  const ordered = [keys[index]!, ...keys.filter((_, i) => i !== index)]
  return ordered.map(({ id, key }) => ({ id, key }))
}

async function importKeys(keys: SigningJwk[]): Promise<{ verification: VerificationKeys; jwks: Jwks }> {
  const verification = new Map<string, Awaited<ReturnType<typeof importVerificationKey>>>()
  const jwks: Jwks = { keys: [] }
  for (const jwk of keys) {
    const key = await importVerificationKey(jwk as JWK)
    if (verification.has(key.kid)) throw new SharedSessionError('ERR_KEY_INVALID', `signing key "${key.kid}" appears twice; every kid must be unique`)
    verification.set(key.kid, key)
    if (key.alg !== 'HS256') jwks.keys.push({ ...publicPart(jwk as JWK), kid: key.kid, alg: key.alg, use: 'sig' })
  }
  return { verification, jwks }
}

function parseTime(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined
  const time = typeof value === 'string' ? Date.parse(value) : NaN
  if (!Number.isFinite(time)) throw new SharedSessionError('ERR_KEY_INVALID', `${field} must be an ISO time such as "2026-11-30T18:00:00Z", got ${JSON.stringify(value)}`)
  return time
}

function nextChange(times: Array<number | undefined>, now: number): number | null {
  const future = times.filter((t): t is number => t !== undefined && t > now)
  return future.length === 0 ? null : Math.min(...future)
}
