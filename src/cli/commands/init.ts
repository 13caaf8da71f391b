import { newConfig, writeConfig } from '../../config/config-file.js'
import { checkStoreSetting, type StoreSetting } from '../../config/open-store.js'
import { SharedSessionError } from '../../errors/shared-session-error.js'
import { parseOrigin } from '../../sites/config.js'

/**
 * `shared-session init`: write a configuration file with fresh keys and
 * secure defaults; refuses to overwrite without `--force`.
 *
 * @example
 * ```ts
 * await initCommand({ config: 'shared-session.json', origin: 'https://auth.acme.com', parentDomain: 'acme.com', dataDir: '.shared-session', store: 'redis://127.0.0.1:6379' })
 * ```
 */
export async function initCommand(options: { config: string; origin: string; parentDomain?: string; dataDir: string; store?: string; storePrefix?: string; force?: boolean }): Promise<void> {
  const origin = parseOrigin(options.origin, '--origin')
  let store: StoreSetting | undefined = options.store
  if (options.storePrefix !== undefined) {
    if (store === undefined) throw new SharedSessionError('ERR_CONFIG_INVALID', '--store-prefix goes with --store redis://… (or rediss://, redis-cluster://)', { detail: 'store' })
    store = { url: store as string, prefix: options.storePrefix }
  }
  if (store !== undefined) {
    try {
      checkStoreSetting(store)
    } catch (err) {
      throw new SharedSessionError('ERR_CONFIG_INVALID', `--store: ${(err as Error).message.replace(/^store:?\s*/, '')}`, { detail: 'store' })
    }
  }
  const config = await newConfig({ origin, parentDomain: options.parentDomain, dataDir: options.dataDir, ...(store ? { store } : {}) })
  writeConfig(options.config, config, { force: options.force ?? false })
  console.log(`wrote ${options.config} (mode 600: it holds the keys)`)
  console.log(`next: shared-session sites add <name> <origin>, shared-session users add <name>, then shared-session serve (each with --config ${options.config})`)
}
