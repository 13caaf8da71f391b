import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { HubOptions } from '../hub/options.js'
import type { KeysConfig } from '../keys/config.js'
import { generateKeysConfig } from '../keys/generate.js'
import type { SessionPolicy } from '../sessions/policy.js'
import type { SiteConfig } from '../sites/config.js'
import type { StoreSetting } from './open-store.js'

/**
 * A deployment's configuration file (`shared-session.json`), as `init`
 * writes it and `serve`, `doctor` and the other commands read it.
 *
 * @example
 * ```json
 * { "hub": { "origin": "https://auth.acme.com", "parentDomain": "acme.com" },
 *   "sites": [{ "name": "forum", "origin": "https://forum.acme.com" }],
 *   "store": "sqlite:.shared-session/sessions.sqlite", "users": "sqlite:.shared-session/users.sqlite",
 *   "listen": { "port": 4000, "host": "127.0.0.1" }, "keys": { "secret": "…", "signingKeys": [] } }
 * ```
 */
export interface DeploymentConfig {
  hub: Pick<HubOptions, 'origin' | 'parentDomain' | 'title' | 'tokenTtlSeconds' | 'basePath' | 'trustProxy' | 'prefix' | 'timeout' | 'anonymous' | 'loginWalk'>
  sites: SiteConfig[]
  /**
   * The session store: a URL (`sqlite:<path>`, the default; `redis://…`,
   * `rediss://…`, `redis-cluster://…`, `postgres://…`; `memory:` for tests)
   * or `{ url, prefix, username, password, database, tls, … }`
   * ({@link StoreConfig}). Every command opens it the same way, prefix included.
   */
  store: StoreSetting
  /** `sqlite:<path>` of the hub's user directory. */
  users: string
  listen: { port: number; host: string }
  session?: Partial<SessionPolicy>
  keys: KeysConfig
}

/** Environment variables that override the file, so secrets need not live in it. */
export const ENV = {
  secret: 'SHARED_SESSION_SECRET',
  store: 'SHARED_SESSION_STORE',
  port: 'SHARED_SESSION_PORT',
} as const

/**
 * A fresh configuration with new keys and secure defaults.
 *
 * @example
 * ```ts
 * const config = await newConfig({ origin: 'https://auth.acme.com', parentDomain: 'acme.com' })
 * ```
 */
export async function newConfig(p: { origin: string; parentDomain?: string; dataDir?: string; store?: DeploymentConfig['store'] }): Promise<DeploymentConfig> {
  const dir = p.dataDir ?? '.shared-session'
  return {
    hub: { origin: p.origin, ...(p.parentDomain ? { parentDomain: p.parentDomain } : {}), title: 'Sign in' },
    sites: [],
    store: p.store ?? `sqlite:${dir}/sessions.sqlite`,
    users: `sqlite:${dir}/users.sqlite`,
    listen: { port: Number(new URL(p.origin).port) || 4000, host: '127.0.0.1' },
    keys: await generateKeysConfig(),
  }
}

/**
 * Read a configuration file and apply environment overrides
 * (`SHARED_SESSION_SECRET`, `SHARED_SESSION_STORE`, `SHARED_SESSION_PORT`).
 * A missing or unreadable file is an error that says what to run.
 *
 * @example
 * ```ts
 * const config = readConfig('shared-session.json', process.env)
 * ```
 */
export function readConfig(path: string, env: NodeJS.ProcessEnv = {}): DeploymentConfig {
  if (!existsSync(path)) throw invalid(`no configuration at ${path}; create one with \`shared-session init\``, 'config')
  let config: DeploymentConfig
  try {
    config = JSON.parse(readFileSync(path, 'utf8')) as DeploymentConfig
  } catch (cause) {
    throw invalid(`${path} is not valid JSON: ${(cause as Error).message}`, 'config')
  }
  if (!config || typeof config !== 'object' || !config.hub || !config.keys) throw invalid(`${path} needs at least "hub" and "keys"; recreate it with \`shared-session init --force\``, 'config')
  config.sites ??= []
  config.store ??= 'sqlite:.shared-session/sessions.sqlite'
  config.users ??= 'sqlite:.shared-session/users.sqlite'
  config.listen ??= { port: 4000, host: '127.0.0.1' }
  if (env[ENV.secret]) config.keys = { ...config.keys, secret: env[ENV.secret]! }
  // The variable replaces the URL; the rest of an object setting (prefix, TLS files) stays.
  if (env[ENV.store]) config.store = typeof config.store === 'object' && config.store !== null ? { ...config.store, url: env[ENV.store]! } : env[ENV.store]!
  if (env[ENV.port]) config.listen = { ...config.listen, port: Number(env[ENV.port]) }
  return config
}

/**
 * Write a configuration file (mode 0600: it holds secrets), refusing to
 * replace an existing one unless `force`.
 *
 * @example
 * ```ts
 * writeConfig('shared-session.json', config, { force: false })
 * ```
 */
export function writeConfig(path: string, config: DeploymentConfig, options: { force: boolean }): void {
  if (existsSync(path) && !options.force) throw invalid(`${path} already exists; pass --force to replace it (its keys will be lost)`, 'config')
  writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`)
}

/**
 * Write a file with mode 0600 all at once: to a temporary file beside it,
 * then renamed over it, so a running hub or member that reloads its keys
 * never reads half a file.
 *
 * @example
 * ```ts
 * writeFileAtomic('shop.json', JSON.stringify(memberConfig(config, 'shop'), null, 2))
 * ```
 */
export function writeFileAtomic(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`
  writeFileSync(temporary, text, { mode: 0o600 })
  try {
    renameSync(temporary, path)
  } catch (err) {
    rmSync(temporary, { force: true })
    throw err
  }
}

function invalid(message: string, detail: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIG_INVALID', message, { detail })
}
