import type { ConnectionOptions } from 'node:tls'
import { Cluster, Redis, type RedisOptions } from 'ioredis'

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
 * - no offline queue and no per-command retries, so a call made while the
 *   connection is down fails instead of piling up;
 * - a command timeout, so a stalled server cannot hold a request forever;
 * - reconnection forever, at most a second apart;
 * - auto-pipelining: commands issued in the same tick by concurrent requests
 *   go out in one write (per node, on a cluster);
 * - an 'error' listener, because without one ioredis prints every failed
 *   reconnection attempt; the store reports errors on the calls that fail.
 *
 * @example
 * ```ts
 * const client = createRedisClient({ url: 'redis://127.0.0.1:6379', commandTimeoutMs: 2000, connectTimeoutMs: 2000 })
 * const cluster = createRedisClient({ nodes: [{ host: '127.0.0.1', port: 7001 }], commandTimeoutMs: 2000, connectTimeoutMs: 2000 })
 * ```
 */
export function createRedisClient(settings: ConnectionSettings): Redis | Cluster {
  const { commandTimeoutMs, connectTimeoutMs } = settings
  const explicit: RedisOptions = {
    ...(settings.username === undefined ? {} : { username: settings.username }),
    ...(settings.password === undefined ? {} : { password: settings.password }),
    ...(settings.tls === undefined || settings.tls === false ? {} : { tls: settings.tls === true ? {} : settings.tls }),
  }
  const common: RedisOptions = { maxRetriesPerRequest: 0, commandTimeout: commandTimeoutMs, connectTimeout: connectTimeoutMs }

  let client: Redis | Cluster
  if (settings.nodes !== undefined) {
    client = new Cluster(settings.nodes, {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: backoff,
      slotsRefreshTimeout: connectTimeoutMs,
      redisOptions: { ...common, ...explicit },
    })
  } else {
    const options: RedisOptions = {
      ...common,
      ...explicit,
      ...(settings.database === undefined ? {} : { db: settings.database }),
      enableOfflineQueue: false,
      retryStrategy: backoff,
      enableAutoPipelining: true,
    }
    // ioredis lets an earlier argument win over a later one: options first, so they override the URL.
    client = new (Redis as unknown as new (options: RedisOptions, url: string) => Redis)(options, settings.url ?? 'redis://127.0.0.1:6379')
  }
  client.on('error', () => {})
  return client
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
 * await client.get(key)
 * ```
 */
export function readiness(client: Redis | Cluster, connectTimeoutMs: number): () => Promise<void> {
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
