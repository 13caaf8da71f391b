import { newConfig, writeConfig } from '../../config/config-file.js'
import { parseOrigin } from '../../sites/config.js'

/**
 * `shared-session init`: write a configuration file with fresh keys and
 * secure defaults; refuses to overwrite without `--force`.
 *
 * @example
 * ```ts
 * await initCommand({ config: 'shared-session.json', origin: 'https://auth.acme.com', parentDomain: 'acme.com' })
 * ```
 */
export async function initCommand(options: { config: string; origin: string; parentDomain?: string; dataDir: string; force?: boolean }): Promise<void> {
  const origin = parseOrigin(options.origin, '--origin')
  const config = await newConfig({ origin, parentDomain: options.parentDomain, dataDir: options.dataDir })
  writeConfig(options.config, config, { force: options.force ?? false })
  console.log(`wrote ${options.config} (mode 600: it holds the keys)`)
  console.log(`next: shared-session users add <name> --config ${options.config}, then shared-session serve --config ${options.config}`)
}
