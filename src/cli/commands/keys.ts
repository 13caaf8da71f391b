import { readConfig, writeConfig } from '../../config/config-file.js'
import type { SigningAlgorithm } from '../../keys/config.js'
import { loadKeyRing } from '../../keys/key-ring.js'
import { DEFAULT_OVERLAP_SECONDS, rotateSecret, rotateSigningKeys } from '../../keys/rotate.js'

/**
 * `shared-session keys list|rotate`: show the keys (never their secrets),
 * or rotate without restarts: a new signing key is published now and
 * signs after the overlap (`--overlap`, default 120 s) while the old ones
 * still verify; `--secret` adds the next master secret, which opens
 * payloads now and seals after the overlap, the old one kept for payloads
 * in flight. Running `serve` processes (and members that watch their file)
 * reload within seconds; the command says what to do next.
 *
 * @example
 * ```ts
 * await keysCommand('rotate', { config: 'shared-session.json', alg: 'EdDSA', overlap: '120' })
 * ```
 */
export async function keysCommand(action: 'list' | 'rotate', options: { config: string; secret?: boolean; alg?: string; keep?: string; overlap?: string }): Promise<void> {
  // The file itself, without environment overrides (rotation writes it back), but with
  // readConfig's clear one-line errors for a missing or broken file.
  const config = readConfig(options.config, {})
  if (action === 'rotate') {
    const overlapSeconds = options.overlap === undefined ? DEFAULT_OVERLAP_SECONDS : Number(options.overlap)
    const now = Date.now()
    config.keys = options.secret
      ? rotateSecret(config.keys, { overlapSeconds, now })
      : await rotateSigningKeys(config.keys, { ...(options.alg ? { alg: options.alg as SigningAlgorithm } : {}), ...(options.keep ? { keep: Number(options.keep) } : {}), overlapSeconds, now })
    await loadKeyRing(config.keys)
    writeConfig(options.config, config, { force: true })
    const when = overlapSeconds === 0 ? 'now' : `at ${new Date(now + overlapSeconds * 1000).toISOString()} (in ${overlapSeconds} s)`
    const members = config.sites.filter((s) => s.member !== false).map((s) => s.name)
    if (options.secret) {
      console.log(`rotated the master secret: the new one opens payloads now and seals ${when}; the previous one still opens payloads in flight`)
    } else {
      console.log(`rotated: ${config.keys.signingKeys[0]!.kid} is published in the JWKS now and signs ${when}; older keys keep verifying the tokens they signed`)
    }
    console.log(`next: running hubs (shared-session serve -c ${options.config}) reload this file within 2 s, no restart`)
    if (members.length > 0) {
      console.log(
        `      members with their own file: before ${overlapSeconds === 0 ? 'their next request' : 'then'}, hand each one its new file (running members that watch it reload within 2 s):`,
      )
      for (const site of members) console.log(`        shared-session config member ${site} -c ${options.config} --out ${site}.json`)
    }
    if (overlapSeconds === 0) console.log('      with no overlap, members that have not reloaded yet refuse what the hub makes until they do (ERR_PAYLOAD_KEY_UNKNOWN / ERR_TOKEN_KEY_UNKNOWN)')
  }
  const ring = await loadKeyRing(config.keys)
  for (const key of config.keys.signingKeys) {
    const role = key.kid === ring.signer.kid ? 'signs + verifies' : key.activeFrom && Date.parse(key.activeFrom) > Date.now() ? `verifies, signs from ${key.activeFrom}` : 'verifies'
    console.log(`${key.kid}\t${key.alg}\t${role}`)
  }
  const next = config.keys.nextSecret
  console.log(
    `master secret: set (${(config.keys.previousSecrets ?? []).length} previous kept${next ? `; the next one ${Date.parse(next.activeFrom) > Date.now() ? `seals from ${next.activeFrom}` : 'seals now'}` : ''})`,
  )
}
