import type { KeysConfig, SigningAlgorithm } from './config.js'
import { generateSecret, generateSigningKey } from './generate.js'

/**
 * Add a new signing key in front (it signs from now on) and keep the
 * previous ones so tokens they signed still verify until they expire.
 * `keep` bounds how many keys stay in the ring, newest first.
 *
 * @example
 * ```ts
 * config.keys = await rotateSigningKeys(config.keys)          // new EdDSA key signs
 * config.keys = await rotateSigningKeys(config.keys, { keep: 1 }) // retire all old keys
 * ```
 */
export async function rotateSigningKeys(
  keys: KeysConfig,
  options: { alg?: SigningAlgorithm; keep?: number } = {},
): Promise<KeysConfig> {
  const fresh = await generateSigningKey(options.alg ?? keys.signingKeys[0]?.alg ?? 'EdDSA')
  const keep = Math.max(1, options.keep ?? 3)
  return { ...keys, signingKeys: [fresh, ...keys.signingKeys].slice(0, keep) }
}

/**
 * Replace the master secret; the old one stays in `previousSecrets` so
 * handoff payloads already in flight still open. Payloads live seconds, so
 * `keep` of 1 old secret is plenty.
 *
 * @example
 * ```ts
 * config.keys = rotateSecret(config.keys)
 * ```
 */
export function rotateSecret(keys: KeysConfig, options: { keep?: number } = {}): KeysConfig {
  const keep = Math.max(0, options.keep ?? 1)
  return { ...keys, secret: generateSecret(), previousSecrets: [keys.secret, ...(keys.previousSecrets ?? [])].slice(0, keep) }
}
