import { SharedSessionError } from '../errors/shared-session-error.js'
import type { KeysConfig, SigningAlgorithm } from './config.js'
import { generateSecret, generateSigningKey } from './generate.js'

/**
 * The overlap `shared-session keys rotate` uses unless told otherwise:
 * running hubs and members reload their files within seconds; two minutes
 * leave room to hand out the members' new files. The functions below
 * default to 0 (take effect at once), as before overlaps existed.
 */
export const DEFAULT_OVERLAP_SECONDS = 120

/**
 * Add a new signing key in front and keep the previous ones so tokens they
 * signed still verify until they expire. The new key is published (JWKS,
 * members' files) at once but signs only after `overlapSeconds`, so every
 * verifier knows it before the first token it signs; `0` makes it sign at
 * once (the default). `keep` bounds how many keys stay in the ring, newest first.
 * A key still waiting for its turn is refused: one rotation at a time.
 *
 * @example
 * ```ts
 * config.keys = await rotateSigningKeys(config.keys, { overlapSeconds: 120 }) // published now, signs in 120 s
 * config.keys = await rotateSigningKeys(config.keys, { keep: 1 })             // compromised key: replace now
 * ```
 */
export async function rotateSigningKeys(
  keys: KeysConfig,
  options: { alg?: SigningAlgorithm; keep?: number; overlapSeconds?: number; now?: number } = {},
): Promise<KeysConfig> {
  const now = options.now ?? Date.now()
  const pending = keys.signingKeys.find((k) => k.activeFrom !== undefined && Date.parse(k.activeFrom) > now)
  if (pending) throw inProgress(`signing key ${pending.kid}`, pending.activeFrom!)
  const overlap = overlapOf(options.overlapSeconds)
  const fresh = await generateSigningKey(options.alg ?? keys.signingKeys[0]?.alg ?? 'EdDSA', new Date(now))
  if (overlap > 0) fresh.activeFrom = new Date(now + overlap * 1000).toISOString()
  // With an overlap the current key keeps signing until then, so it must stay whatever `keep` says.
  const keep = Math.max(overlap > 0 ? 2 : 1, options.keep ?? 3)
  const older = keys.signingKeys.map(({ activeFrom: _, ...key }) => key)
  return { ...keys, signingKeys: [fresh, ...older].slice(0, keep) }
}

/**
 * Replace the master secret in two steps folded into one command: the new
 * secret becomes `nextSecret`, which opens payloads at once and seals from
 * `overlapSeconds` on, so running members learn it before the hub seals
 * with it; the next rotation makes it the `secret`. The old secret stays in
 * `previousSecrets` so payloads in flight still open (payloads live
 * seconds, so `keep` of 1 is plenty). `overlapSeconds: 0` (the default)
 * replaces at once.
 *
 * @example
 * ```ts
 * config.keys = rotateSecret(config.keys, { overlapSeconds: 120 }) // opens now, seals in 120 s
 * config.keys = rotateSecret(config.keys)                          // seals now
 * ```
 */
export function rotateSecret(keys: KeysConfig, options: { keep?: number; overlapSeconds?: number; now?: number } = {}): KeysConfig {
  const now = options.now ?? Date.now()
  const keep = Math.max(0, options.keep ?? 1)
  const overlap = overlapOf(options.overlapSeconds)
  let current = keys
  if (keys.nextSecret) {
    if (Date.parse(keys.nextSecret.activeFrom) > now) throw inProgress('the next master secret', keys.nextSecret.activeFrom)
    // The last rotation's secret seals already: make it the current one.
    const { nextSecret, ...rest } = keys
    current = { ...rest, secret: nextSecret.secret, previousSecrets: [keys.secret, ...(keys.previousSecrets ?? [])] }
  }
  const fresh = generateSecret()
  const { nextSecret: _, ...base } = current
  if (overlap === 0) return { ...base, secret: fresh, previousSecrets: [current.secret, ...(current.previousSecrets ?? [])].slice(0, keep) }
  return {
    ...base,
    previousSecrets: (current.previousSecrets ?? []).slice(0, keep),
    nextSecret: { secret: fresh, activeFrom: new Date(now + overlap * 1000).toISOString() },
  }
}

function overlapOf(value: number | undefined): number {
  const overlap = value ?? 0
  if (!Number.isSafeInteger(overlap) || overlap < 0 || overlap > 86_400) {
    throw new SharedSessionError('ERR_CONFIG_INVALID', `the overlap must be 0 to 86400 seconds, got ${value}`, { detail: 'overlapSeconds' })
  }
  return overlap
}

function inProgress(what: string, until: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIG_INVALID', `a rotation is in progress: ${what} takes over at ${until}; rotate again after that (or pass an overlap of 0 to the next rotation only once it has)`, { detail: 'keys' })
}
