import type { Redis } from 'ioredis'

/**
 * Deletes one session with its links and its user-index entry. A session's
 * links are listed in a set of their own (`sl:{id}`), never in the session
 * hash: reading a session must cost the same however many links it has. Shared by the
 * scripts that delete sessions, so "links die with their session" is written
 * once. A link is only deleted if it still points at this session.
 *
 * Scripts derive the link and user keys from the session's contents, which
 * is fine on a single Redis (and Sentinel) but not on Redis Cluster.
 */
const DELETE_SESSION_LUA = `
local function delete_session(prefix, id)
  local key = prefix .. 's:' .. id
  local links = prefix .. 'sl:' .. id
  for _, hash in ipairs(redis.call('SMEMBERS', links)) do
    local link = prefix .. 'l:' .. hash
    if redis.call('HGET', link, 'sid') == id then redis.call('DEL', link) end
  end
  redis.call('DEL', links)
  if redis.call('EXISTS', key) == 0 then return 0 end
  local sub = redis.call('HGET', key, 'sub')
  if sub then redis.call('SREM', prefix .. 'u:' .. sub, id) end
  redis.call('DEL', key)
  return 1
end
`

/**
 * Lua run with EVALSHA (ioredis `defineCommand`), each where atomicity or a
 * single round trip matters. Key names are passed as KEYS or built from the
 * prefix inside the script, never interpolated into Lua source, so no input
 * can change what a script does.
 *
 * @example
 * ```ts
 * const found = await scripts.resolveLink(`${prefix}l:${hash}`, prefix)
 * ```
 */
export const REDIS_SCRIPTS = {
  // KEYS: session, user set. ARGV: prefix, id, session expireAt, user set expireAt, has user, field/value pairs…
  insertSession: {
    numberOfKeys: 2,
    lua: `${DELETE_SESSION_LUA}
      delete_session(ARGV[1], ARGV[2])
      for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
      redis.call('PEXPIREAT', KEYS[1], ARGV[3])
      if ARGV[5] == '1' then
        redis.call('SADD', KEYS[2], ARGV[2])
        -- The index lives as long as its longest-lived session (NX: first expiry, GT: only ever extend).
        redis.call('PEXPIREAT', KEYS[2], ARGV[4], 'NX')
        redis.call('PEXPIREAT', KEYS[2], ARGV[4], 'GT')
      end
      return 1`,
  },
  // KEYS: session. ARGV: prefix, id.
  deleteSession: {
    numberOfKeys: 1,
    lua: `${DELETE_SESSION_LUA}
      return delete_session(ARGV[1], ARGV[2])`,
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
  // KEYS: session, session's link set. ARGV: lastSeenAt, idleExpiresAt.
  touchSession: {
    numberOfKeys: 2,
    lua: `
      local abs = redis.call('HGET', KEYS[1], 'abs')
      if not abs then return 0 end
      redis.call('HSET', KEYS[1], 'seen', ARGV[1], 'idle', ARGV[2])
      local expire_at = abs
      if tonumber(ARGV[2]) < tonumber(abs) then expire_at = ARGV[2] end
      redis.call('PEXPIREAT', KEYS[1], expire_at)
      redis.call('PEXPIREAT', KEYS[2], expire_at)
      return 1`,
  },
  // KEYS: link, session, session's link set. ARGV: link hash, session id, site, createdAt, expiresAt, via.
  insertLink: {
    numberOfKeys: 3,
    lua: `
      local times = redis.call('HMGET', KEYS[2], 'idle', 'abs')
      if not times[2] then return 0 end
      redis.call('DEL', KEYS[1])
      redis.call('HSET', KEYS[1], 'sid', ARGV[2], 'site', ARGV[3], 'created', ARGV[4], 'expires', ARGV[5], 'via', ARGV[6])
      redis.call('PEXPIREAT', KEYS[1], ARGV[5])
      -- The link set lives exactly as long as its session (touchSession moves both).
      redis.call('SADD', KEYS[3], ARGV[1])
      redis.call('PEXPIREAT', KEYS[3], math.min(tonumber(times[1]), tonumber(times[2])))
      return 1`,
  },
  // KEYS: link. ARGV: prefix. Returns false or { link fields, session fields }.
  resolveLink: {
    numberOfKeys: 1,
    lua: `
      local sid = redis.call('HGET', KEYS[1], 'sid')
      if not sid then return false end
      return { redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', ARGV[1] .. 's:' .. sid) }`,
  },
  // KEYS: link. ARGV: prefix, link hash.
  deleteLink: {
    numberOfKeys: 1,
    lua: `
      local sid = redis.call('HGET', KEYS[1], 'sid')
      if not sid then return 0 end
      redis.call('DEL', KEYS[1])
      redis.call('SREM', ARGV[1] .. 'sl:' .. sid, ARGV[2])
      return 1`,
  },
  // KEYS: user set. ARGV: prefix. Returns { id, fields, id, fields, … }; drops ids whose session expired.
  listUserSessions: {
    numberOfKeys: 1,
    lua: `
      local out = {}
      for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
        local fields = redis.call('HGETALL', ARGV[1] .. 's:' .. id)
        if #fields == 0 then
          redis.call('SREM', KEYS[1], id)
        else
          out[#out + 1] = id
          out[#out + 1] = fields
        end
      end
      return out`,
  },
  // KEYS: user set. ARGV: prefix. Returns how many sessions existed.
  deleteUserSessions: {
    numberOfKeys: 1,
    lua: `${DELETE_SESSION_LUA}
      local deleted = 0
      for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do deleted = deleted + delete_session(ARGV[1], id) end
      redis.call('DEL', KEYS[1])
      return deleted`,
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
 * Registers the scripts on a client and returns callers for them. Names are
 * namespaced (`sharedSession…`) because the client may be the application's own.
 *
 * @example
 * ```ts
 * const scripts = defineScripts(client)
 * const patched = (await scripts.patchSession(sessionKey, '0', 'd:cart', '[]')) === 1
 * ```
 */
export function defineScripts(client: Redis): RedisScripts {
  const callers: Partial<Record<ScriptName, ScriptCall>> = {}
  for (const [name, { numberOfKeys, lua }] of Object.entries(REDIS_SCRIPTS) as [ScriptName, { numberOfKeys: number; lua: string }][]) {
    const command = `sharedSession${name[0]!.toUpperCase()}${name.slice(1)}`
    client.defineCommand(command, { numberOfKeys, lua })
    const method = (client as unknown as Record<string, ScriptCall>)[command]!
    callers[name] = (...keysAndArgs) => method.apply(client, keysAndArgs)
  }
  return callers as RedisScripts
}
