import { readConfig, type DeploymentConfig } from '../config/config-file.js'
import { describeStore, openStore } from '../config/open-store.js'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { SessionStore } from '../stores/store.js'
import { createSqliteUserDirectory, type SqliteUserDirectory } from '../users/sqlite-directory.js'
import { dirname } from 'node:path'
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs'

/**
 * The configuration file plus what most commands open from it.
 *
 * @example
 * ```ts
 * const { config, users } = openUsers('shared-session.json')
 * ```
 */
export function loadConfig(path: string): DeploymentConfig {
  return readConfig(path, process.env)
}

/**
 * Open the user directory a configuration names (`sqlite:<path>`).
 *
 * @example
 * ```ts
 * const users = openUsers(config)
 * ```
 */
export function openUsers(config: DeploymentConfig): SqliteUserDirectory {
  if (!config.users.startsWith('sqlite:')) throw new SharedSessionError('ERR_CONFIG_INVALID', `users must be sqlite:<path>, got ${JSON.stringify(config.users)}`, { detail: 'users' })
  const path = config.users.slice('sqlite:'.length)
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  // Password hashes: readable by this user only, like the configuration file (SQLite's -wal/-shm files follow the database's mode).
  if (path !== ':memory:' && !existsSync(path)) closeSync(openSync(path, 'a', 0o600))
  return createSqliteUserDirectory({ path })
}

/**
 * Open the store and prove it answers, so "store down" is one clear line at
 * start-up rather than a 503 on the first request.
 *
 * @example
 * ```ts
 * const store = await openLiveStore(config)
 * ```
 */
export async function openLiveStore(config: DeploymentConfig): Promise<SessionStore> {
  const store = await openStore(config.store)
  try {
    await store.count(Date.now())
  } catch (err) {
    await store.close().catch(() => undefined)
    throw new SharedSessionError('ERR_STORE_UNAVAILABLE', `cannot reach the store ${describeStore(config.store)}: ${(err as Error).message}`, { cause: err })
  }
  return store
}
