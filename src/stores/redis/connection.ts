import type { ConnectionOptions } from 'node:tls'
import { Cluster, type Redis, type RedisOptions } from 'ioredis'
import { RespClient } from './resp-client.js'

/**
 * A client the Redis store talks to: our own {@link RespClient} for a
 * single server, ioredis' `Cluster` for a cluster, or an ioredis client an
 * application passed in. The store uses only what all three share: `call`,
 * `evalsha`, `eval`, `status`, the `ready`/`error`/`end` events, `quit` and
 * `disconnect`.
 *
 * @example
 * ```ts
 * const client: RedisClient = createRedisClient({ url: 'redis://127.0.0.1:6379', commandTimeoutMs: 2000, connectTimeoutMs: 2000 })
 * ```
 */
export type RedisClient = RespClient | Redis | Cluster

/**
 * What {@link createRedisClient} needs to know. `nodes` makes it a Redis
 * Cluster client (any reachable nodes; the rest are discovered); otherwise
 * `url` names one server. Explicit `username`, `password`, `database` and
 * `tls` win over what the URL says.
 *
 * @example
 * ```ts
 * const settings: ConnectionSettings = { url: 'redis://127.0.0.1:6379', commandTimeoutMs: 2000, connectTimeoutMs: 2000 }
 * ```
 */
export interface ConnectionSettings {
  url?: string
  nodes?: { host: string; port: number }[]
  username?: string
  password?: string
  /** Database number (single server only; a cluster has only database 0). */
  database?: number
  /** `true` or Node TLS options; `rediss://` in the URL also turns TLS on. */
  tls?: boolean | ConnectionOptions
  commandTimeoutMs: number
  connectTimeoutMs: number
}

/** Reconnect forever, at most a second apart. */
const backoff = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 5), 1000)

/**
 * A client tuned for a request path that must answer 503 quickly rather than
 * hang while Redis is away, and heal by itself once Redis is back:
 *
 * - no offline queue, so a call made while the connection is down fails
 *   instead of piling up;
 * - a command timeout, so a stalled server cannot hold a request forever;
 * - reconnection forever, at most a second apart;
 * - pipelining: commands concurrent requests issue in one turn of the event
 *   loop go out in one write (per tick and per node with ioredis on a cluster).
 *
 * A single server gets our own lean {@link RespClient} (a third of ioredis'
 * CPU per command); a cluster gets ioredis' `Cluster`, which finds each
 * key's node and follows the cluster as it changes, with an 'error'
 * listener, because without one ioredis prints every failed reconnection
 * attempt (the store reports errors on the calls that fail).
 *
 * @example
 * ```ts
 * const client = createRedisClient({ url: 'redis://127.0.0.1:6379', commandTimeoutMs: 2000, connectTimeoutMs: 2000 })
 * const cluster = createRedisClient({ nodes: [{ host: '127.0.0.1', port: 7001 }], commandTimeoutMs: 2000, connectTimeoutMs: 2000 })
 * ```
 */
export function createRedisClient(settings: ConnectionSettings): RespClient | Cluster {
  const { commandTimeoutMs, connectTimeoutMs } = settings
  const tls = settings.tls === undefined || settings.tls === false ? undefined : settings.tls === true ? {} : settings.tls

  if (settings.nodes !== undefined) {
    const explicit: RedisOptions = {
      ...(settings.username === undefined ? {} : { username: settings.username }),
      ...(settings.password === undefined ? {} : { password: settings.password }),
      ...(tls === undefined ? {} : { tls }),
    }
    const cluster = new Cluster(settings.nodes, {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: backoff,
      slotsRefreshTimeout: connectTimeoutMs,
      redisOptions: { maxRetriesPerRequest: 0, commandTimeout: commandTimeoutMs, connectTimeout: connectTimeoutMs, ...explicit },
    })
    cluster.on('error', () => {})
    return cluster
  }

  // Explicit settings win over what the URL says.
  const url = new URL(settings.url ?? 'redis://127.0.0.1:6379')
  const fromUrl = {
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    database: /^\/\d+$/.test(url.pathname) ? Number(url.pathname.slice(1)) : undefined,
  }
  const password = settings.password ?? fromUrl.password
  return new RespClient({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port === '' ? 6379 : Number(url.port),
    // AUTH with a password alone means the default user, as a URL `redis://:secret@host` says.
    username: password === undefined ? undefined : (settings.username ?? fromUrl.username),
    password,
    database: settings.database ?? fromUrl.database,
    tls: tls ?? (url.protocol === 'rediss:' ? {} : undefined),
    commandTimeoutMs,
    connectTimeoutMs,
  })
}

/**
 * Returns a function that resolves once the client is connected, or rejects
 * with the reason it is not: the next connection error (e.g. ECONNREFUSED
 * while Redis is down) or `connectTimeoutMs` without a connection.
 *
 * This is what lets a store be used right after it is created (the offline
 * queue is off, so a command sent before the first connection would fail)
 * while a call made during an outage still fails within bounded time, with
 * the real cause. Concurrent callers share one wait.
 *
 * @example
 * ```ts
 * const ready = readiness(client, 2000)
 * await ready()
 * await client.call('GET', key)
 * ```
 */
export function readiness(client: RedisClient, connectTimeoutMs: number): () => Promise<void> {
  let waiting: Promise<void> | undefined

  return function ready(): Promise<void> {
    if (client.status === 'ready') return Promise.resolve()
    if (client.status === 'end') return Promise.reject(new Error('Connection is closed (the store or its client was closed).'))
    if (waiting !== undefined) return waiting
    // A client the application created with lazyConnect has not started connecting yet.
    if (client.status === 'wait') client.connect().catch(() => {})

    waiting = new Promise<void>((resolve, reject) => {
      const settle = (err?: unknown): void => {
        clearTimeout(timer)
        client.off('ready', onReady)
        client.off('error', onError)
        client.off('end', onEnd)
        waiting = undefined
        if (err === undefined) resolve()
        else reject(err)
      }
      const onReady = (): void => settle()
      const onError = (err: unknown): void => settle(err)
      const onEnd = (): void => settle(new Error('Connection is closed.'))
      const timer = setTimeout(() => settle(new Error(`no connection within ${connectTimeoutMs} ms (connect timed out)`)), connectTimeoutMs)
      timer.unref()
      client.once('ready', onReady)
      client.once('error', onError)
      client.once('end', onEnd)
    })
    return waiting
  }
}
