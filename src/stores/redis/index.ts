import type { Redis } from 'ioredis'
import { SharedSessionError } from '../../errors/shared-session-error.js'
import type { SessionRecord, SessionStore, StoreCounts } from '../store.js'
import { guardStore } from '../unavailable.js'
import { DATA_FIELD, fieldsToLink, fieldsToSession, sessionToFields } from './codec.js'
import { createRedisClient, readiness } from './connection.js'
import { defineScripts } from './scripts.js'

/**
 * Options of {@link createRedisStore}.
 *
 * @example
 * ```ts
 * const options: RedisStoreOptions = { url: process.env.REDIS_URL, prefix: 'myapp:ss:' }
 * ```
 */
export interface RedisStoreOptions {
  /** Where Redis listens (default `redis://127.0.0.1:6379`). Ignored when `client` is given. */
  url?: string
  /** Put before every key, so several apps can share one Redis (default `ss:`). */
  prefix?: string
  /**
   * An ioredis client of your own. The store never closes it; configure it
   * with `enableOfflineQueue: false` and a `commandTimeout` to keep calls
   * bounded while Redis is down.
   */
  client?: Redis
  /** A command that gets no answer in this many ms fails with `ERR_STORE_UNAVAILABLE` (default 2000). */
  commandTimeoutMs?: number
  /** How long a call waits for a connection before failing with `ERR_STORE_UNAVAILABLE` (default 2000). */
  connectTimeoutMs?: number
}

const KIND = 'redis'

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

/**
 * A session store in Redis, for many hub and member instances. Keys carry
 * native expiry (a session at the earlier of its idle and absolute expiry,
 * a link at its own), so nothing needs sweeping; reads still check expiry
 * against the `now` they are given.
 *
 * Layout under `prefix`: `s:{id}` a hash with the session's meta fields and
 * one `d:{key}` field per data key (per-key HSET/HDEL, so concurrent patches
 * of different keys lose nothing); `l:{hash}` a link; `u:{sub}` the set of a
 * user's sessions; `n:{nonce}` a consumed nonce (`SET NX PXAT`).
 *
 * While Redis is unreachable every call fails within about
 * `connectTimeoutMs` (or `commandTimeoutMs` mid-command) with
 * `ERR_STORE_UNAVAILABLE`; the client reconnects in the background and later
 * calls succeed with no action. Needs the optional peer dependency `ioredis`.
 * Single Redis or Sentinel only: scripts touch keys they derive, which Redis
 * Cluster does not allow.
 *
 * @example
 * ```ts
 * import { createRedisStore } from 'shared-session/stores/redis'
 * const store = createRedisStore({ url: process.env.REDIS_URL, prefix: 'acme:ss:' })
 * const found = await store.resolveLink(linkHash, Date.now())
 * process.on('SIGTERM', () => store.close())
 * ```
 */
export function createRedisStore(options: RedisStoreOptions = {}): SessionStore {
  const { url = 'redis://127.0.0.1:6379', prefix = 'ss:' } = options
  const commandTimeoutMs = positiveMs('commandTimeoutMs', options.commandTimeoutMs ?? 2000)
  const connectTimeoutMs = positiveMs('connectTimeoutMs', options.connectTimeoutMs ?? 2000)
  if (typeof prefix !== 'string') throw invalid('prefix', '`prefix` must be a string such as "ss:"')
  if (options.client === undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
    throw invalid('url', '`url` must look like "redis://host:6379" or "rediss://host:6380"')
  }

  const ownsClient = options.client === undefined
  const client = options.client ?? createRedisClient({ url, commandTimeoutMs, connectTimeoutMs })
  const ready = readiness(client, connectTimeoutMs)
  const scripts = defineScripts(client)

  const key = {
    session: (id: string) => `${prefix}s:${id}`,
    sessionLinks: (id: string) => `${prefix}sl:${id}`,
    link: (hash: string) => `${prefix}l:${hash}`,
    user: (sub: string) => `${prefix}u:${sub}`,
    nonce: (nonce: string) => `${prefix}n:${nonce}`,
  }
  const guard = <T>(operation: string, run: () => Promise<T>): Promise<T> =>
    guardStore(KIND, operation, async () => {
      await ready()
      return run()
    })

  async function scan(pattern: string): Promise<string[]> {
    const found: string[] = []
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      cursor = next
      found.push(...keys)
    } while (cursor !== '0')
    return found
  }

  // A pipeline reports failures per command; one failed command makes the whole count unreliable.
  async function run(pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
    const results = (await pipeline.exec()) ?? []
    return results.map(([err, value]) => {
      if (err) throw err
      return value
    })
  }

  return {
    kind: KIND,

    insertSession: (record) =>
      guard('insertSession', async () => {
        const expireAt = Math.min(record.idleExpiresAt, record.absoluteExpiresAt)
        const sub = record.user === null ? '' : record.user.sub
        await scripts.insertSession(
          key.session(record.id), key.user(sub),
          prefix, record.id, String(expireAt), String(record.absoluteExpiresAt), record.user === null ? '0' : '1',
          ...sessionToFields(record),
        )
      }),

    getSession: (id, now) => guard('getSession', async () => fieldsToSession(id, await client.call('HGETALL', key.session(id)), now)),

    deleteSession: (id) => guard('deleteSession', async () => (await scripts.deleteSession(key.session(id), prefix, id)) === 1),

    patchSession: (id, patch) =>
      guard('patchSession', async () => {
        const unset = patch.unset.map((name) => DATA_FIELD + name)
        const set = Object.entries(patch.set).flatMap(([name, value]) => [DATA_FIELD + name, value])
        return (await scripts.patchSession(key.session(id), String(unset.length), ...unset, ...set)) === 1
      }),

    touchSession: (id, lastSeenAt, idleExpiresAt) =>
      guard('touchSession', async () => (await scripts.touchSession(key.session(id), key.sessionLinks(id), String(lastSeenAt), String(idleExpiresAt))) === 1),

    insertLink: (hash, link) =>
      guard('insertLink', async () => {
        await scripts.insertLink(
          key.link(hash), key.session(link.sessionId), key.sessionLinks(link.sessionId),
          hash, link.sessionId, link.site, String(link.createdAt), String(link.expiresAt), link.via,
        )
      }),

    resolveLink: (hash, now) =>
      guard('resolveLink', async () => {
        const found = await scripts.resolveLink(key.link(hash), prefix)
        if (!Array.isArray(found)) return null
        const link = fieldsToLink(found[0], now)
        const session = link === null ? null : fieldsToSession(link.sessionId, found[1], now)
        return link === null || session === null ? null : { link, session }
      }),

    deleteLink: (hash) => guard('deleteLink', async () => (await scripts.deleteLink(key.link(hash), prefix, hash)) === 1),

    listUserSessions: (sub, now) =>
      guard('listUserSessions', async () => {
        const flat = (await scripts.listUserSessions(key.user(sub), prefix)) as unknown[]
        const sessions: SessionRecord[] = []
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const session = fieldsToSession(String(flat[i]), flat[i + 1], now)
          if (session !== null) sessions.push(session)
        }
        return sessions.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      }),

    deleteUserSessions: (sub) => guard('deleteUserSessions', async () => Number(await scripts.deleteUserSessions(key.user(sub), prefix))),

    consumeNonce: (nonce, expiresAt) =>
      guard('consumeNonce', async () => {
        const at = String(Math.max(1, Math.ceil(expiresAt)))
        return (await client.set(key.nonce(nonce), at, 'PXAT', at, 'NX')) === 'OK'
      }),

    count: (now) =>
      guard('count', async (): Promise<StoreCounts> => {
        const base = globEscape(prefix)
        const [sessionKeys, linkKeys, nonceKeys] = await Promise.all([scan(`${base}s:*`), scan(`${base}l:*`), scan(`${base}n:*`)])

        const sessionLive = new Map<string, boolean>()
        const meta = client.pipeline()
        for (const k of sessionKeys) meta.hmget(k, 'idle', 'abs')
        for (const [i, value] of (await run(meta)).entries()) {
          const [idle, abs] = (value as (string | null)[] | null) ?? []
          sessionLive.set(sessionKeys[i]!, Number(idle) > now && Number(abs) > now)
        }

        const links = client.pipeline()
        for (const k of linkKeys) links.hmget(k, 'sid', 'expires')
        let liveLinks = 0
        for (const value of await run(links)) {
          const [sid, expires] = (value as (string | null)[] | null) ?? []
          if (sid != null && Number(expires) > now && sessionLive.get(key.session(sid)) === true) liveLinks++
        }

        const nonces = client.pipeline()
        for (const k of nonceKeys) nonces.get(k)
        let liveNonces = 0
        for (const value of await run(nonces)) if (Number(value) > now) liveNonces++

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
