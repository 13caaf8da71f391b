import { writeFileAtomic } from '../../config/config-file.js'
import { memberConfig } from '../../config/member-config.js'
import { loadConfig } from '../context.js'

/**
 * `shared-session config member <site>`: print (or write with `--out`,
 * mode 0600) the configuration one member app needs: its site name, the
 * hub, the site list, the store, derived handoff keys and the public JWKS.
 * No master secret and no private signing key leave the hub's file.
 *
 * @example
 * ```ts
 * await configCommand('member', 'shop', { config: 'shared-session.json', out: 'shop.json' })
 * ```
 */
export async function configCommand(action: 'member', site: string, options: { config: string; out?: string }): Promise<void> {
  const config = loadConfig(options.config)
  const share = memberConfig(config, site)
  const text = `${JSON.stringify(share, null, 2)}\n`
  if (options.out) {
    writeFileAtomic(options.out, text)
    console.log(`wrote ${options.out} for member "${site}" (mode 600: it holds the handoff keys; no master secret, no private signing key)`)
    return
  }
  process.stdout.write(text)
  console.error(`shared-session: this holds ${site}'s handoff keys: keep the file private (chmod 600), or use --out <file>`)
}
