import { mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { ConnectionOptions } from 'node:tls'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { SessionStore } from '../stores/store.js'

/**
 * TLS settings of a store in a configuration file: file paths rather than
 * inline PEM, so the file stays readable and the keys stay where they are.
 *
 * @example
 * ```json
 * { "caFile": "/etc/ssl/redis-ca.pem", "servername": "redis.internal" }
 * ```
 */
export interface StoreTlsConfig {
  /** PEM file of the CA that signed the server's certificate (default: the system's CAs). */
  caFile?: string
  /** PEM files of a client certificate and its key, for servers that ask for one. */
  certFile?: string
  keyFile?: string
  /** The name to check the server's certificate against, when it differs from the host. */
  servername?: string
  /** `false` accepts any certificate: for tests only (default `true`). */
  rejectUnauthorized?: boolean
}

/**
 * A store as a configuration file names it: a URL plus what a real
 * deployment needs beside it. The URL alone (a string) is the short form.
 *
 * - `sqlite:<path>` (the embedded default), `memory:` (tests);
 * - `redis://[user:password@]host:port[/db]`, `rediss://…` (TLS),
 *   `redis-cluster://host:port,host:port…` or `nodes` (Redis Cluster),
 *   with `prefix`, `username`, `password`, `database`, `tls`;
 * - `postgres://[user:password@]host:port/database` with `schema`,
 *   `username`, `password`, `tls`.
 *
 * A URL may carry `?prefix=` (Redis) or `?schema=` (PostgreSQL) too, so one
 * environment variable can say everything; the explicit field wins.
 *
 * @example
 * ```json
 * { "url": "rediss://redis.internal:6380/2", "prefix": "acme:ss:", "username": "shop", "password": "…", "tls": { "caFile": "/etc/ssl/ca.pem" } }
 * ```
 */
export interface StoreConfig {
  url?: string
  /** Redis Cluster nodes (`host:port`), instead of a `redis-cluster://` URL. */
  nodes?: string[]
  /** Redis: put before every key (default `ss:`). */
  prefix?: string
  /** PostgreSQL: the schema of the store's tables (default `shared_session`). */
  schema?: string
  username?: string
  password?: string
  /** Redis: the database number (single server only). */
  database?: number
  /** `true` for TLS with the system's CAs, or {@link StoreTlsConfig}. */
  tls?: boolean | StoreTlsConfig
  /** A call with no answer in this many ms fails with ERR_STORE_UNAVAILABLE (default 2000). */
  commandTimeoutMs?: number
  /** A call waits at most this many ms for a connection (default 2000). */
  connectTimeoutMs?: number
}

/**
 * What a configuration's `store` may hold: a URL, or a {@link StoreConfig}.
 *
 * @example
 * ```ts
 * const setting: StoreSetting = { url: 'redis://127.0.0.1:6379', prefix: 'acme:ss:' }
 * ```
 */
export type StoreSetting = string | StoreConfig

type Kind = 'sqlite' | 'memory' | 'redis' | 'postgres'

const ALLOWED: Record<Kind, readonly (keyof StoreConfig)[]> = {
  sqlite: ['url'],
  memory: ['url'],
  redis: ['url', 'nodes', 'prefix', 'username', 'password', 'database', 'tls', 'commandTimeoutMs', 'connectTimeoutMs'],
  postgres: ['url', 'schema', 'username', 'password', 'tls', 'commandTimeoutMs', 'connectTimeoutMs'],
}
const ALL_FIELDS = new Set<string>(Object.values(ALLOWED).flat())
const TLS_FIELDS = new Set(['caFile', 'certFile', 'keyFile', 'servername', 'rejectUnauthorized'])
const URL_FORMS = 'sqlite:<path>, memory:, redis://host:port[/db], rediss://…, redis-cluster://host:port,host:port…, postgres://user@host:port/database'

function invalid(message: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIG_INVALID', `store: ${message}`, { detail: 'store' })
}

function kindOf(url: string): Kind | undefined {
  if (url.startsWith('sqlite:')) return 'sqlite'
  if (url === 'memory:') return 'memory'
  if (/^rediss?(-cluster)?:\/\//.test(url)) return 'redis'
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres'
  return undefined
}

/** Splits `?prefix=` / `?schema=` off a URL; the rest of the query stays for the driver. */
function takeParam(url: string, name: string): { url: string; value?: string } {
  const at = url.indexOf('?')
  if (at < 0) return { url }
  const params = new URLSearchParams(url.slice(at + 1))
  const value = params.get(name) ?? undefined
  params.delete(name)
  const rest = params.toString()
  return { url: url.slice(0, at) + (rest ? `?${rest}` : ''), ...(value === undefined ? {} : { value }) }
}

function readPem(field: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined
  if (typeof path !== 'string' || path === '') throw invalid(`tls.${field} must be a file path`)
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw invalid(`cannot read tls.${field} ${JSON.stringify(path)}: ${(err as Error).message}`)
  }
}

function checkTls(tls: StoreConfig['tls']): void {
  if (tls === undefined || typeof tls === 'boolean') return
  if (typeof tls !== 'object' || tls === null) throw invalid('tls must be true, false or an object with caFile, certFile, keyFile, servername, rejectUnauthorized')
  for (const field of Object.keys(tls)) if (!TLS_FIELDS.has(field)) throw invalid(`unknown tls field ${JSON.stringify(field)}; use ${[...TLS_FIELDS].join(', ')}`)
}

function tlsOptions(tls: StoreConfig['tls']): boolean | ConnectionOptions | undefined {
  if (tls === undefined || typeof tls === 'boolean') return tls
  checkTls(tls)
  const options: ConnectionOptions = {}
  const ca = readPem('caFile', tls.caFile)
  const cert = readPem('certFile', tls.certFile)
  const key = readPem('keyFile', tls.keyFile)
  if (ca !== undefined) options.ca = ca
  if (cert !== undefined) options.cert = cert
  if (key !== undefined) options.key = key
  if (tls.servername !== undefined) options.servername = tls.servername
  if (tls.rejectUnauthorized !== undefined) options.rejectUnauthorized = tls.rejectUnauthorized === true
  return options
}

/**
 * Checks a store setting and says what is wrong in one sentence
 * (`ERR_CONFIG_INVALID`), without connecting or touching any file: for
 * `init --store`, `doctor`, and start-up. Returns the store kind.
 *
 * @example
 * ```ts
 * checkStoreSetting({ url: 'redis://127.0.0.1:6379', prefix: 'acme:ss:' }) // 'redis'
 * checkStoreSetting('mysql://db') // throws ERR_CONFIG_INVALID
 * ```
 */
export function checkStoreSetting(setting: StoreSetting): Kind {
  const config: StoreConfig = typeof setting === 'string' ? { url: setting } : setting
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw invalid(`must be a URL (${URL_FORMS}) or an object with "url"`)
  for (const field of Object.keys(config)) if (!ALL_FIELDS.has(field)) throw invalid(`unknown field ${JSON.stringify(field)}; use ${[...ALL_FIELDS].join(', ')}`)
  const url = config.url ?? (config.nodes !== undefined ? 'redis-cluster://' : undefined)
  if (typeof url !== 'string') throw invalid(`set "url" to one of ${URL_FORMS}`)
  const kind = kindOf(url)
  if (kind === undefined) throw invalid(`URL ${JSON.stringify(redactUrl(url))} is not one of ${URL_FORMS}`)
  for (const field of Object.keys(config) as (keyof StoreConfig)[]) {
    if (!ALLOWED[kind].includes(field)) throw invalid(`"${field}" does not apply to a ${kind} store (it takes ${ALLOWED[kind].join(', ')})`)
  }
  if (kind === 'sqlite' && url === 'sqlite:') throw invalid('sqlite: needs a path, e.g. sqlite:.shared-session/sessions.sqlite')
  if (kind === 'redis' && !/-cluster:/.test(url) && config.nodes === undefined && !URL.canParse(url)) throw invalid(`URL ${JSON.stringify(redactUrl(url))} is not a valid URL`)
  if (kind === 'postgres') {
    if (!URL.canParse(url)) throw invalid(`URL ${JSON.stringify(redactUrl(url))} is not a valid URL`)
    if (config.tls !== undefined && /[?&](sslmode|ssl)=/.test(url)) throw invalid('give TLS either as sslmode in the URL or as "tls", not both')
  }
  for (const field of ['prefix', 'schema', 'username', 'password'] as const) {
    if (config[field] !== undefined && typeof config[field] !== 'string') throw invalid(`"${field}" must be a string`)
  }
  for (const field of ['database', 'commandTimeoutMs', 'connectTimeoutMs'] as const) {
    if (config[field] !== undefined && (!Number.isSafeInteger(config[field]) || config[field]! < 0)) throw invalid(`"${field}" must be a whole number`)
  }
  checkTls(config.tls)
  if (config.nodes !== undefined && (!Array.isArray(config.nodes) || config.nodes.some((node) => typeof node !== 'string'))) throw invalid('"nodes" must be a list of "host:port"')
  return kind
}

/**
 * Open the store a configuration names (see {@link StoreConfig} for the
 * forms). Drivers are loaded only when used; a bad setting fails here with
 * `ERR_CONFIG_INVALID`, before any request. The store connects lazily: a
 * server that is down shows up as `ERR_STORE_UNAVAILABLE` on the first call.
 *
 * @example
 * ```ts
 * const store = await openStore('sqlite:.shared-session/sessions.sqlite')
 * const redis = await openStore({ url: 'rediss://redis.internal:6380', prefix: 'acme:ss:', password: process.env.REDIS_PASSWORD })
 * const cluster = await openStore('redis-cluster://10.0.0.1:7001,10.0.0.2:7001?prefix=acme:ss:')
 * const pg = await openStore({ url: 'postgres://app@db.internal/app', schema: 'shared_session' })
 * ```
 */
export async function openStore(setting: StoreSetting): Promise<SessionStore> {
  const kind = checkStoreSetting(setting)
  const config: StoreConfig = typeof setting === 'string' ? { url: setting } : setting
  const timeouts = {
    ...(config.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: config.commandTimeoutMs }),
    ...(config.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: config.connectTimeoutMs }),
  }
  const tls = tlsOptions(config.tls)

  if (kind === 'sqlite') {
    const path = config.url!.slice('sqlite:'.length)
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    const { createSqliteStore } = await import('../stores/sqlite/index.js')
    return createSqliteStore({ path })
  }
  if (kind === 'memory') {
    const { createMemoryStore } = await import('../stores/memory/index.js')
    return createMemoryStore()
  }
  if (kind === 'redis') {
    const { url, value: prefix } = config.url === undefined ? { url: undefined } : takeParam(config.url, 'prefix')
    const { createRedisStore } = await import('../stores/redis/index.js')
    return createRedisStore({
      ...(config.nodes === undefined ? { url } : { nodes: config.nodes }),
      ...timeouts,
      ...((config.prefix ?? prefix) === undefined ? {} : { prefix: config.prefix ?? prefix }),
      ...(config.username === undefined ? {} : { username: config.username }),
      ...(config.password === undefined ? {} : { password: config.password }),
      ...(config.database === undefined ? {} : { database: config.database }),
      ...(tls === undefined ? {} : { tls }),
    })
  }
  const { url: withoutSchema, value: schema } = takeParam(config.url!, 'schema')
  // pg lets the URL win over separate fields, so explicit credentials are written into the URL.
  const url = new URL(withoutSchema)
  if (config.username !== undefined) url.username = encodeURIComponent(config.username)
  if (config.password !== undefined) url.password = encodeURIComponent(config.password)
  const { createPostgresStore } = await import('../stores/postgres/index.js')
  return createPostgresStore({
    url: url.href,
    ...timeouts,
    ...((config.schema ?? schema) === undefined ? {} : { schema: config.schema ?? schema }),
    ...(tls === undefined ? {} : { ssl: tls }),
  })
}

function redactUrl(url: string): string {
  return url.replace(/^([a-z-]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@')
}

/**
 * A store setting as one line for logs and `doctor`, with any password
 * replaced by `***`, so start-up lines can name the store safely.
 *
 * @example
 * ```ts
 * describeStore({ url: 'redis://app:s3cret@redis:6379', prefix: 'acme:' }) // 'redis://app:***@redis:6379 (prefix acme:)'
 * ```
 */
export function describeStore(setting: StoreSetting): string {
  if (typeof setting === 'string') return redactUrl(setting)
  const url = setting.url ?? `redis-cluster://${(setting.nodes ?? []).join(',')}`
  const extras = [
    setting.prefix !== undefined ? `prefix ${setting.prefix}` : '',
    setting.schema !== undefined ? `schema ${setting.schema}` : '',
    setting.database !== undefined ? `database ${setting.database}` : '',
    setting.username !== undefined ? `user ${setting.username}` : '',
    setting.tls !== undefined && setting.tls !== false ? 'tls' : '',
  ].filter(Boolean)
  return `${redactUrl(url)}${extras.length > 0 ? ` (${extras.join(', ')})` : ''}`
}
