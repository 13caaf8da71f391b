import { readConfig, writeConfig } from '../../config/config-file.js'
import type { SigningAlgorithm } from '../../keys/config.js'
import { loadKeyRing } from '../../keys/key-ring.js'
import { rotateSecret, rotateSigningKeys } from '../../keys/rotate.js'

/**
 * `shared-session keys list|rotate`: show the keys (never their secrets),
 * or rotate: a new signing key signs from now on while the old ones still
 * verify; `--secret` replaces the master secret, keeping the old one for
 * payloads in flight. Restart `serve` (and members) to pick the change up.
 *
 * @example
 * ```ts
 * await keysCommand('rotate', { config: 'shared-session.json', alg: 'EdDSA' })
 * ```
 */
export async function keysCommand(action: 'list' | 'rotate', options: { config: string; secret?: boolean; alg?: string; keep?: string }): Promise<void> {
  // The file itself, without environment overrides (rotation writes it back), but with
  // readConfig's clear one-line errors for a missing or broken file.
  const config = readConfig(options.config, {})
  if (action === 'rotate') {
    config.keys = options.secret
      ? rotateSecret(config.keys)
      : await rotateSigningKeys(config.keys, { ...(options.alg ? { alg: options.alg as SigningAlgorithm } : {}), ...(options.keep ? { keep: Number(options.keep) } : {}) })
    await loadKeyRing(config.keys)
    writeConfig(options.config, config, { force: true })
    console.log(options.secret ? 'rotated the master secret (the previous one still opens payloads in flight)' : `rotated: ${config.keys.signingKeys[0]!.kid} signs now`)
  }
  const ring = await loadKeyRing(config.keys)
  for (const [i, key] of config.keys.signingKeys.entries()) {
    console.log(`${key.kid}\t${key.alg}\t${i === 0 ? 'signs + verifies' : 'verifies'}`)
  }
  console.log(`master secret: set (${ring.handoff.length - 1} previous kept)`)
}
