import type { ConnectionOptions } from 'node:tls'
import type { Cluster, Redis } from 'ioredis'
import { SharedSessionError } from '../../errors/shared-session-error.js'
import type { SessionRecord, SessionStore, SessionUser, StoreCounts } from '../store.js'
import { guardStore } from '../unavailable.js'
import { parseClusterUrl } from './cluster-url.js'
import { DATA_FIELD, decodeLink, encodeLink, fieldsToSession, keyPart, sessionToFields } from './codec.js'
import { createRedisClient, readiness, type ConnectionSettings, type RedisClient } from './connection.js'
import type { RespClient } from './resp-client.js'
import { defineScripts } from './scripts.js'

/**
 * Options of {@link createRedisStore}.
 *
 * @example
 * ```ts
 * const single: RedisStoreOptions = { url: process.env.REDIS_URL, prefix: 'myapp:ss:' }
 * const cluster: RedisStoreOptions = { url: 'redis-cluster://10.0.0.1:7001,10.0.0.2:7001', prefix: 'myapp:ss:' }
 * ```
 */
export interface RedisStoreOptions {
  /**
   * Where Redis listens (default `redis://127.0.0.1:6379`): `redis://[user:password@]host:port[/db]`,
   * `rediss://…` for TLS, or `redis-cluster://[user:password@]host:port,host:port…`
   * (`rediss-cluster://` for TLS) for a Redis Cluster. Ignored when `client` is given.
   */
  url?: string | undefined
  /** The nodes of a Redis Cluster (`host:port` or `redis://host:port`); the same as a `redis-cluster://` URL. */
  nodes?: string[]
  /** Put before every key, so several apps can share one Redis (default `ss:`). No `{` or `}`: see docs/stores.md. */
  prefix?: string
  /** ACL user name (overrides the URL's). */
  username?: string
  /** Password (overrides the URL's). */
  password?: string
  /** Database number, single server only (overrides the URL's `/db`). */
  database?: number
  /** `true` or Node TLS options (`ca`, `servername`, …); `rediss://` also turns TLS on. */
  tls?: boolean | ConnectionOptions
  /**
   * An ioredis client (`Redis` or `Cluster`) of your own, or one made by
   * `createRedisClient`. The store never closes it; configure an ioredis
   * client with `enableOfflineQueue: false` and a `commandTimeout` to keep
   * calls bounded while Redis is down.
   */
  client?: Redis | Cluster | RespClient
  /** A command that gets no answer in this many ms fails with `ERR_STORE_UNAVAILABLE` (default 2000). */
  commandTimeoutMs?: number
  /** How long a call waits for a connection before failing with `ERR_STORE_UNAVAILABLE` (default 2000). */
  connectTimeoutMs?: number
}

const KIND = 'redis'
/** The latest time a JavaScript Date can hold: a link's expiry passed to Lua is never Infinity. */
const MAX_TIME = 8.64e15

function invalid(option: string, message: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIG_INVALID', `redis store: ${message}`, { detail: option })
}

function positiveMs(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw invalid(option, `\`${option}\` must be a whole number of milliseconds > 0`)
  return value
}

/** SCAN MATCH treats these as pattern syntax; a prefix containing them must match literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

function parseNode(node: string): { host: string; port: number } {
  const parsed = parseClusterUrl(`redis-cluster://${node.replace(/^rediss?:\/\//, '')}`)
  if (parsed === null || parsed.nodes.length !== 1) throw invalid('nodes', `cluster node ${JSON.stringify(node)} must look like "host:port"`)
  return parsed.nodes[0]!
}

/** The connection an options object asks for, validated (a bad URL fails at start-up, not on the first request). */
function connectionSettings(options: RedisStoreOptions, commandTimeoutMs: number, connectTimeoutMs: number): ConnectionSettings {
  const { url = 'redis://127.0.0.1:6379' } = options
  const settings: ConnectionSettings = { commandTimeoutMs, connectTimeoutMs }
  if (options.username !== undefined) settings.username = options.username
  if (options.password !== undefined) settings.password = options.password
  if (options.tls !== undefined) settings.tls = options.tls
  if (options.database !== undefined) {
    if (!Number.isSafeInteger(options.database) || options.database < 0) throw invalid('database', '`database` must be a whole number ≥ 0')
    settings.database = options.database
  }
  if (options.nodes !== undefined) {
    if (!Array.isArray(options.nodes) || options.nodes.length === 0) throw invalid('nodes', '`nodes` must list at least one "host:port" of the cluster')
    settings.nodes = options.nodes.map(parseNode)
    return settings
  }
  if (typeof url !== 'string') throw invalid('url', '`url` must be a string such as "redis://host:6379"')
  if (/^rediss?-cluster:/.test(url)) {
    const parsed = parseClusterUrl(url)
    if (parsed === null) throw invalid('url', '`url` must look like "redis-cluster://host:7001,host:7002" (rediss-cluster:// for TLS)')
    settings.nodes = parsed.nodes
    settings.username ??= parsed.username
    settings.password ??= parsed.password
    if (parsed.tls && settings.tls === undefined) settings.tls = true
    return settings
  }
  if (!/^rediss?:\/\//.test(url) || !URL.canParse(url)) {
    throw invalid('url', '`url` must look like "redis://host:6379", "rediss://host:6380" or "redis-cluster://host:7001,host:7002"')
  }
  settings.url = url
  return settings
}

/**
 * A session store in Redis, for many hub and member instances, on a single
 * server, Sentinel, or a Redis Cluster. Keys carry native expiry (a session
 * at the earlier of its idle and absolute expiry, a link at its own but
 * never past its session's absolute expiry), so nothing needs sweeping;
 * reads still check expiry against the `now` they are given.
 *
 * Layout under `prefix` (see docs/stores.md; `{id}` and `{hash}` stand for
 * their first 22 characters, see `keyPart`): `s:{id}` a hash with one-letter
 * meta fields and one `.{key}` field per data key (per-key HSET/HDEL, so
 * concurrent patches of different keys lose nothing); `l:{hash}` a link as
 * one short string; `u:{sub}` the set of a user's sessions; `n:{nonce}` a
 * consumed nonce (`SET NX PXAT`); `c:{name}` a counter (a hash of value and
 * window end, changed by one script). Every script touches one key, so the same
 * code runs on a cluster; only `resolveLink` and `insertLink` on a single server
 * touch link and session in one script (one round trip instead of two).
 *
 * A deleted session's links are not hunted down: they resolve to nothing
 * (their session is gone) and Redis drops them at their expiry. That keeps a
 * session to two keys and every write to one slot.
 *
 * While Redis is unreachable every call fails within about
 * `connectTimeoutMs` (or `commandTimeoutMs` mid-command) with
 * `ERR_STORE_UNAVAILABLE`; the client reconnects in the background and later
 * calls succeed with no action. Needs the optional peer dependency `ioredis`.
 *
 * @example
 * ```ts
 * import { createRedisStore } from 'shared-session/stores/redis'
 * const store = createRedisStore({ url: process.env.REDIS_URL, prefix: 'acme:ss:' })
 * const cluster = createRedisStore({ url: 'redis-cluster://10.0.0.1:7001,10.0.0.2:7001,10.0.0.3:7001' })
 * const found = await store.resolveLink(linkHash, Date.now())
 * process.on('SIGTERM', () => store.close())
 * ```
 */
export function createRedisStore(options: RedisStoreOptions = {}): SessionStore {
  const { prefix = 'ss:' } = options
  const commandTimeoutMs = positiveMs('commandTimeoutMs', options.commandTimeoutMs ?? 2000)
  const connectTimeoutMs = positiveMs('connectTimeoutMs', options.connectTimeoutMs ?? 2000)
  if (typeof prefix !== 'string') throw invalid('prefix', '`prefix` must be a string such as "ss:"')
  if (/[{}]/.test(prefix)) throw invalid('prefix', '`prefix` must not contain "{" or "}": on Redis Cluster they would pin every key to one slot')
  const settings = options.client === undefined ? connectionSettings(options, commandTimeoutMs, connectTimeoutMs) : undefined

  const ownsClient = options.client === undefined
  const client: RedisClient = options.client ?? createRedisClient(settings!)
  const isCluster = (client as { isCluster?: boolean }).isCluster === true
  const ready = readiness(client, connectTimeoutMs)
  const scripts = defineScripts(client)

  const key = {
    session: (id: string) => `${prefix}s:${keyPart(id)}`,
    link: (hash: string) => `${prefix}l:${keyPart(hash)}`,
    user: (sub: string) => `${prefix}u:${sub}`,
    nonce: (nonce: string) => `${prefix}n:${nonce}`,
    counter: (name: string) => `${prefix}c:${name}`,
  }
  // Connected (the usual case): run at once, without waiting on `ready` (one promise less per call).
  const guard = <T>(operation: string, run: () => Promise<T>): Promise<T> =>
    client.status === 'ready'
      ? guardStore(KIND, operation, run)
      : guardStore(KIND, operation, async () => {
          await ready()
          return run()
        })

  // On a cluster every master holds a share of the keys.
  async function scan(pattern: string): Promise<string[]> {
    const nodes: (Redis | RedisClient)[] = isCluster ? (client as Cluster).nodes('master') : [client]
    const found: string[] = []
    for (const node of nodes) {
      let cursor = '0'
      do {
        const [next, keys] = (await node.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)) as [string, string[]]
        cursor = next
        found.push(...keys)
      } while (cursor !== '0')
    }
    return found
  }

  const readSession = async (id: string, now: number): Promise<SessionRecord | null> => fieldsToSession(id, await client.call('HGETALL', key.session(id)), now)

  /** Deletes one session and its user-index entry; true when the session existed. */
  async function deleteOne(id: string): Promise<boolean> {
    const user = await scripts.deleteSession(key.session(id))
    if (typeof user !== 'string') return false
    if (user !== '') await client.call('SREM', key.user((JSON.parse(user) as SessionUser).sub), id)
    return true
  }

  return {
    kind: KIND,

    insertSession: (record) =>
      guard('insertSession', async () => {
        const expireAt = Math.min(record.idleExpiresAt, record.absoluteExpiresAt)
        await scripts.insertSession(key.session(record.id), String(expireAt), ...sessionToFields(record))
        // After the session, so "log out everywhere" never finds an id whose session is not written yet.
        if (record.user !== null) await scripts.indexUserSession(key.user(record.user.sub), record.id, String(record.absoluteExpiresAt))
      }),

    getSession: (id, now) => guard('getSession', () => readSession(id, now)),

    deleteSession: (id) => guard('deleteSession', () => deleteOne(id)),

    patchSession: (id, patch) =>
      guard('patchSession', async () => {
        const args = [key.session(id), String(patch.unset.length)]
        for (const name of patch.unset) args.push(DATA_FIELD + name)
        for (const name in patch.set) if (Object.hasOwn(patch.set, name)) args.push(DATA_FIELD + name, patch.set[name]!)
        return (await scripts.patchSession(...args)) === 1
      }),

    touchSession: (id, lastSeenAt, idleExpiresAt) =>
      guard('touchSession', async () => (await scripts.touchSession(key.session(id), String(lastSeenAt), String(idleExpiresAt))) === 1),

    insertLink: (hash, link) =>
      guard('insertLink', async () => {
        // A link to a missing session could never resolve: storing it would only let anyone fill Redis.
        if (!isCluster) {
          await scripts.insertLinkSingle(key.link(hash), key.session(link.sessionId), encodeLink(link, link.expiresAt), encodeLink(link), String(Math.min(link.expiresAt, MAX_TIME)))
          return
        }
        const [created, lifetime] = (await client.call('HMGET', key.session(link.sessionId), 'c', 'a')) as [string | null, string | null]
        if (created == null || lifetime == null) return
        const absolute = Number(created) + Number(lifetime)
        await client.call('SET', key.link(hash), encodeLink(link, absolute), 'PXAT', Math.max(1, Math.ceil(Math.min(link.expiresAt, absolute))))
      }),

    resolveLink: (hash, now) =>
      guard('resolveLink', async () => {
        let value: unknown
        let sessionFields: unknown
        if (isCluster) {
          value = await client.call('GET', key.link(hash))
          const link = decodeLink(value, now)
          if (link === null) return null
          sessionFields = await client.call('HGETALL', key.session(link.sessionId))
        } else {
          const found = await scripts.resolveLinkSingle(key.link(hash), `${prefix}s:`)
          if (!Array.isArray(found)) return null
          ;[value, sessionFields] = found as [unknown, unknown]
        }
        const link = decodeLink(value, now)
        const session = link === null ? null : fieldsToSession(link.sessionId, sessionFields, now)
        if (link === null || session === null) return null
        // A link stored without a lifetime lives as long as its session.
        if (link.expiresAt === Number.POSITIVE_INFINITY) link.expiresAt = session.absoluteExpiresAt
        return link.expiresAt > now ? { link, session } : null
      }),

    deleteLink: (hash) =>
      guard('deleteLink', async () => {
        const link = decodeLink(await scripts.deleteLink(key.link(hash)), Number.NEGATIVE_INFINITY)
        // A link whose session is gone was already dead: deleting it logs nobody out.
        return link !== null && (await client.call('EXISTS', key.session(link.sessionId))) === 1
      }),

    listUserSessions: (sub, now) =>
      guard('listUserSessions', async () => {
        const ids = (await client.call('SMEMBERS', key.user(sub))) as string[]
        const found = await Promise.all(ids.map((id) => readSession(id, Number.NEGATIVE_INFINITY)))
        const gone = ids.filter((_, i) => found[i] === null)
        if (gone.length > 0) await client.call('SREM', key.user(sub), ...gone) // expired in Redis: prune the index
        return found
          .filter((session): session is SessionRecord => session !== null && session.idleExpiresAt > now && session.absoluteExpiresAt > now)
          .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      }),

    deleteUserSessions: (sub) =>
      guard('deleteUserSessions', async () => {
        const ids = (await client.call('SMEMBERS', key.user(sub))) as string[]
        const deleted = await Promise.all(ids.map(deleteOne))
        return deleted.filter(Boolean).length
      }),

    consumeNonce: (nonce, expiresAt) =>
      guard('consumeNonce', async () => {
        const at = String(Math.max(1, Math.ceil(expiresAt)))
        return (await client.call('SET', key.nonce(nonce), at, 'PXAT', at, 'NX')) === 'OK'
      }),

    addToCounter: (name, delta, expiresAt, now) =>
      guard('addToCounter', async () => {
        const [value, expires] = (await scripts.addToCounter(key.counter(name), String(delta), String(Math.max(1, Math.ceil(expiresAt))), String(now))) as [number, number]
        return { value, expiresAt: expires }
      }),

    deleteCounter: (name) =>
      guard('deleteCounter', async () => {
        await client.call('DEL', key.counter(name))
      }),

    count: (now) =>
      guard('count', async (): Promise<StoreCounts> => {
        const base = globEscape(prefix)
        const [sessionKeys, linkKeys, nonceKeys] = await Promise.all([scan(`${base}s:*`), scan(`${base}l:*`), scan(`${base}n:*`)])
        const sessionPrefix = `${prefix}s:`

        const sessionLive = new Map<string, boolean>()
        const times = (await Promise.all(sessionKeys.map((k) => client.call('HMGET', k, 'c', 'i', 'a')))) as string[][]
        for (const [i, [created, idle, abs]] of times.entries()) {
          sessionLive.set(sessionKeys[i]!.slice(sessionPrefix.length), Number(created) + Number(idle) > now && Number(created) + Number(abs) > now)
        }

        let liveLinks = 0
        for (const value of await Promise.all(linkKeys.map((k) => client.call('GET', k)))) {
          const link = decodeLink(value, now)
          if (link !== null && sessionLive.get(keyPart(link.sessionId)) === true) liveLinks++
        }

        let liveNonces = 0
        for (const value of await Promise.all(nonceKeys.map((k) => client.call('GET', k)))) if (Number(value) > now) liveNonces++

        return { sessions: [...sessionLive.values()].filter(Boolean).length, links: liveLinks, nonces: liveNonces }
      }),

    // Keys expire natively; user indexes are pruned by listUserSessions.
    sweep: async () => {},

    close: async () => {
      if (!ownsClient || client.status === 'end') return
      try {
        await client.quit()
      } catch {
        // Not connected: there is nothing to say goodbye to, just stop reconnecting.
        client.disconnect()
      }
    },
  }
}
