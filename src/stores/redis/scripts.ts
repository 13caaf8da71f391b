import { createHash } from 'node:crypto'
import type { RedisClient } from './connection.js'

/**
 * Lua run with EVALSHA (EVAL the first time a server meets it), each where atomicity
 * matters. Every script touches exactly the keys passed in KEYS, and all but
 * one touch a single key, so they run unchanged on Redis Cluster (a script
 * may only touch keys of one slot, and only keys it declares). Values are
 * passed as ARGV, never interpolated into Lua source, so no input can change
 * what a script does.
 *
 * @example
 * ```ts
 * const patched = await scripts.patchSession(sessionKey, '0', '.cart', '[]')
 * ```
 */
export const REDIS_SCRIPTS = {
  // KEYS: session. ARGV: expireAt, field/value pairs… Replaces whatever was there.
  insertSession: {
    numberOfKeys: 1,
    lua: `
      redis.call('DEL', KEYS[1])
      for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
      redis.call('PEXPIREAT', KEYS[1], ARGV[1])
      return 1`,
  },
  // KEYS: user index. ARGV: session id, index expireAt.
  indexUserSession: {
    numberOfKeys: 1,
    lua: `
      redis.call('SADD', KEYS[1], ARGV[1])
      -- The index lives as long as its longest-lived session (NX: first expiry, GT: only ever extend).
      redis.call('PEXPIREAT', KEYS[1], ARGV[2], 'NX')
      redis.call('PEXPIREAT', KEYS[1], ARGV[2], 'GT')
      return 1`,
  },
  // KEYS: session. Returns false when there was none, else the user JSON (or '' for an anonymous session).
  deleteSession: {
    numberOfKeys: 1,
    lua: `
      local user = redis.call('HGET', KEYS[1], 'u')
      if redis.call('DEL', KEYS[1]) == 0 then return false end
      return user or ''`,
  },
  // KEYS: session. ARGV: number of unset fields, unset fields…, set field/value pairs…
  patchSession: {
    numberOfKeys: 1,
    lua: `
      if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
      local unset = tonumber(ARGV[1])
      for i = 2, unset + 1 do redis.call('HDEL', KEYS[1], ARGV[i]) end
      for i = unset + 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
      return 1`,
  },
  // KEYS: session. ARGV: lastSeenAt, idleExpiresAt. Times in the hash count from its created time ('c').
  touchSession: {
    numberOfKeys: 1,
    lua: `
      local times = redis.call('HMGET', KEYS[1], 'c', 'a')
      if not times[2] then return 0 end
      local created = tonumber(times[1])
      local abs = created + tonumber(times[2])
      local idle = tonumber(ARGV[2])
      redis.call('HSET', KEYS[1], 's', string.format('%.17g', tonumber(ARGV[1]) - created), 'i', string.format('%.17g', idle - created))
      redis.call('PEXPIREAT', KEYS[1], string.format('%.17g', math.min(idle, abs)))
      return 1`,
  },
  // KEYS: link. Returns the link value it deleted, or false.
  deleteLink: {
    numberOfKeys: 1,
    lua: `
      local value = redis.call('GET', KEYS[1])
      if value then redis.call('DEL', KEYS[1]) end
      return value`,
  },
  // KEYS: counter. ARGV: delta, expiresAt, now. Returns { value, expiresAt }.
  // The window end is kept in the hash ('e') and compared with the caller's now, as every read is;
  // PEXPIREAT only lets Redis drop the key once it is over.
  addToCounter: {
    numberOfKeys: 1,
    lua: `
      local delta, now = tonumber(ARGV[1]), tonumber(ARGV[3])
      local stored = redis.call('HMGET', KEYS[1], 'v', 'e')
      local value, expires = 0, tonumber(ARGV[2])
      if stored[2] and tonumber(stored[2]) > now then
        value, expires = tonumber(stored[1]), tonumber(stored[2])
      elseif delta <= 0 then
        return { 0, expires }
      end
      value = math.max(0, value + delta)
      redis.call('HSET', KEYS[1], 'v', string.format('%d', value), 'e', string.format('%d', expires))
      redis.call('PEXPIREAT', KEYS[1], string.format('%d', expires))
      return { value, expires }`,
  },
  // KEYS: link, its session. ARGV: the link value when it lives as long as its session, the value
  // otherwise, the link's own expiry. Returns 1, or 0 (nothing stored) when the session is missing.
  // Single Redis (and Sentinel) only: the two keys are in different slots on a cluster, where the
  // store reads the session's times, then sets the link (two round trips).
  insertLinkSingle: {
    numberOfKeys: 2,
    lua: `
      local times = redis.call('HMGET', KEYS[2], 'c', 'a')
      if not times[1] or not times[2] then return 0 end
      local absolute = tonumber(times[1]) + tonumber(times[2])
      local expires = tonumber(ARGV[3])
      local value = ARGV[2]
      if expires == absolute then value = ARGV[1] end
      redis.call('SET', KEYS[1], value, 'PXAT', string.format('%d', math.max(1, math.ceil(math.min(expires, absolute)))))
      return 1`,
  },
  // KEYS: link. ARGV: the session key prefix. Returns false or { link value, session fields }.
  // Single Redis (and Sentinel) only: it reads a session key it derives, which Cluster refuses;
  // on a cluster the store reads the link, then the session (two round trips).
  resolveLinkSingle: {
    numberOfKeys: 1,
    lua: `
      local value = redis.call('GET', KEYS[1])
      if not value then return false end
      local sid
      if string.sub(value, 1, 1) == '[' then
        local ok, link = pcall(cjson.decode, value)
        if ok and type(link) == 'table' and type(link[1]) == 'string' then sid = link[1] end
      else
        sid = string.match(value, '^[^\t]*\t[^\t]*\t[^\t]*\t(.*)$')
      end
      if not sid then return false end
      -- The session's key part, as keyPart (codec.ts) makes it.
      if #sid == 43 and not string.find(sid, '[^A-Za-z0-9_%-]') then sid = string.sub(sid, 1, 22) else sid = '~' .. sid end
      return { value, redis.call('HGETALL', ARGV[1] .. sid) }`,
  },
} as const

type ScriptName = keyof typeof REDIS_SCRIPTS
type ScriptCall = (...keysAndArgs: string[]) => Promise<unknown>

/**
 * The store's scripts bound to one client, called as `scripts.name(...keys, ...args)`.
 *
 * @example
 * ```ts
 * const scripts: RedisScripts = defineScripts(client)
 * ```
 */
export type RedisScripts = { readonly [name in ScriptName]: ScriptCall }

/**
 * Callers for the scripts on a client (single node or cluster). Nothing is
 * registered on the client, which may be the application's own.
 *
 * @example
 * ```ts
 * const scripts = defineScripts(client)
 * const patched = (await scripts.patchSession(sessionKey, '0', '.cart', '[]')) === 1
 * ```
 */
export function defineScripts(client: RedisClient): RedisScripts {
  const callers: Partial<Record<ScriptName, ScriptCall>> = {}
  for (const [name, { numberOfKeys, lua }] of Object.entries(REDIS_SCRIPTS) as [ScriptName, { numberOfKeys: number; lua: string }][]) {
    // EVALSHA straight, and EVAL (which also caches the script) only when the server does not know
    // it yet: lighter per call than ioredis' defineCommand, which wraps every call in a retry closure.
    const sha = createHash('sha1').update(lua).digest('hex')
    callers[name] = (...keysAndArgs) =>
      client.evalsha(sha, numberOfKeys, ...keysAndArgs).then(undefined, (err: unknown) => {
        if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err
        return client.eval(lua, numberOfKeys, ...keysAndArgs)
      })
  }
  return callers as RedisScripts
}
