import type { LinkRecord, LinkVia, SessionRecord, SessionUser } from '../store.js'

/**
 * Field names of a session hash. Meta fields are one letter; data keys are
 * stored as `.` + key, so no data key can ever collide with a meta field
 * and HSET/HDEL stay per key. Short names matter: with a million sessions
 * every byte of a field name is a megabyte of memory. For the same reason
 * `s`, `i` and `a` hold milliseconds *after* `c` (created): Redis stores
 * small integers in 4 bytes instead of 8.
 *
 * @example
 * ```ts
 * await client.hget(sessionKey, FIELD.absolute)
 * ```
 */
export const FIELD = { created: 'c', seen: 's', idle: 'i', absolute: 'a', user: 'u' } as const

/**
 * The prefix of a data key's field in the session hash.
 *
 * @example
 * ```ts
 * await client.hget(sessionKey, DATA_FIELD + 'cart')
 * ```
 */
export const DATA_FIELD = '.'

/**
 * The hash fields of a new session, as the flat field/value list HSET takes.
 *
 * @example
 * ```ts
 * await client.hset(key, ...sessionToFields(record))
 * ```
 */
export function sessionToFields(record: SessionRecord): string[] {
  const fields = [
    FIELD.created, String(record.createdAt),
    FIELD.seen, String(record.lastSeenAt - record.createdAt),
    FIELD.idle, String(record.idleExpiresAt - record.createdAt),
    FIELD.absolute, String(record.absoluteExpiresAt - record.createdAt),
  ]
  if (record.user !== null) fields.push(FIELD.user, JSON.stringify(record.user))
  for (const [key, value] of Object.entries(record.data)) fields.push(DATA_FIELD + key, value)
  return fields
}

/**
 * A session from the flat field/value list HGETALL returns (or the object
 * ioredis makes of it), or null when it is missing, incomplete or expired
 * at `now` (Redis expires keys on its own clock; callers pass theirs).
 *
 * @example
 * ```ts
 * const session = fieldsToSession(id, await client.call('HGETALL', key), Date.now())
 * ```
 */
export function fieldsToSession(id: string, flat: unknown, now: number): SessionRecord | null {
  if (!Array.isArray(flat) || flat.length === 0) return null
  let created = 0
  let seen = 0
  let idle = 0
  let abs = 0
  let user: SessionUser | null = null
  const data: [string, string][] = []
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = String(flat[i])
    const value = String(flat[i + 1])
    if (field.startsWith(DATA_FIELD)) data.push([field.slice(DATA_FIELD.length), value])
    else if (field === FIELD.created) created = Number(value)
    else if (field === FIELD.seen) seen = Number(value)
    else if (field === FIELD.idle) idle = Number(value)
    else if (field === FIELD.absolute) abs = Number(value)
    else if (field === FIELD.user) user = JSON.parse(value) as SessionUser
  }
  seen += created
  idle += created
  abs += created
  if (!(idle > now && abs > now)) return null
  // fromEntries keeps a `__proto__` key as data rather than setting the prototype.
  return { id, user, data: Object.fromEntries(data), createdAt: created, lastSeenAt: seen, idleExpiresAt: idle, absoluteExpiresAt: abs }
}

/**
 * A link as the one string value of its key, as short as it can be made
 * (memory per session is dominated by such strings): created and the
 * lifetime in base 36, via, site and the session id, tab-separated, the id
 * last (it may hold anything). A site or via holding a tab, or a time that
 * is not a whole number, falls back to a JSON array (which starts with `[`).
 *
 * @example
 * ```ts
 * await client.set(linkKey, encodeLink(link), 'PXAT', link.expiresAt)
 * ```
 */
export function encodeLink(link: LinkRecord): string {
  const lifetime = link.expiresAt - link.createdAt
  if (Number.isSafeInteger(link.createdAt) && Number.isSafeInteger(lifetime) && !/\t/.test(link.site + link.via)) {
    return `${link.createdAt.toString(36)}\t${lifetime.toString(36)}\t${link.via}\t${link.site}\t${link.sessionId}`
  }
  return JSON.stringify([link.sessionId, link.site, link.via, link.createdAt, link.expiresAt])
}

function parseLink(value: string): LinkRecord | null {
  if (value.startsWith('[')) {
    try {
      const parsed = JSON.parse(value) as unknown
      if (!Array.isArray(parsed) || parsed.length !== 5) return null
      const [sessionId, site, via, createdAt, expiresAt] = parsed as unknown[]
      if (typeof sessionId !== 'string' || typeof site !== 'string' || typeof via !== 'string' || typeof createdAt !== 'number' || typeof expiresAt !== 'number') return null
      return { sessionId, site, via: via as LinkVia, createdAt, expiresAt }
    } catch {
      return null
    }
  }
  const parts = value.split('\t')
  if (parts.length < 5) return null
  const createdAt = parseInt(parts[0]!, 36)
  const expiresAt = createdAt + parseInt(parts[1]!, 36)
  if (!Number.isSafeInteger(createdAt) || !Number.isSafeInteger(expiresAt)) return null
  return { sessionId: parts.slice(4).join('\t'), site: parts[3]!, via: parts[2]! as LinkVia, createdAt, expiresAt }
}

/**
 * A link from its stored string, or null when missing, unreadable or expired at `now`.
 *
 * @example
 * ```ts
 * const link = decodeLink(await client.get(linkKey), Date.now())
 * ```
 */
export function decodeLink(value: unknown, now: number): LinkRecord | null {
  if (typeof value !== 'string') return null
  const link = parseLink(value)
  return link !== null && link.expiresAt > now ? link : null
}
