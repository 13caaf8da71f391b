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
  const data: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = String(flat[i])
    const value = String(flat[i + 1])
    if (field.startsWith(DATA_FIELD)) {
      const key = field.slice(DATA_FIELD.length)
      // A `__proto__` key is data, never the prototype.
      if (key === '__proto__') Object.defineProperty(data, key, { value, enumerable: true, writable: true, configurable: true })
      else data[key] = value
    }
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
  return { id, user, data, createdAt: created, lastSeenAt: seen, idleExpiresAt: idle, absoluteExpiresAt: abs }
}

/** The shape of the library's ids and cookie hashes: 256 bits as 43 base64url characters. */
const FULL_ID = /^[A-Za-z0-9_-]{43}$/

/**
 * The part of an id (session id, link hash) that names its key. An id of the
 * library's own shape (256 random bits as 43 base64url characters) is keyed
 * by its first 22 characters (132 bits): as unguessable, and short enough
 * that Redis stores the key name in a 32-byte allocation instead of 64,
 * which is a tenth of what a session costs. Any other id is keyed whole
 * behind a `~` (not a base64url character), so the two forms never meet.
 * The resolve script (`scripts.ts`) derives the same part in Lua.
 *
 * @example
 * ```ts
 * keyPart('h8P0Q2l5Vx1sYw3kR7mZ9bT4cN6dF8gJ0aE2iK4oU6q') // 'h8P0Q2l5Vx1sYw3kR7mZ9b'
 * keyPart('session-1') // '~session-1'
 * ```
 */
export function keyPart(id: string): string {
  return id.length === 43 && FULL_ID.test(id) ? id.slice(0, 22) : `~${id}`
}

/** How a link's `via` is written: one character. */
const VIA_CODE: Readonly<Record<string, string>> = { new: 'n', push: 'p', pull: 'q', login: 'l', token: 't' }
const VIA_OF: Readonly<Record<string, LinkVia>> = { n: 'new', p: 'push', q: 'pull', l: 'login', t: 'token' }

/**
 * A link as the one string value of its key, as short as it can be made
 * (memory per session is dominated by such strings): `via` as one
 * character and the created time in base 36, then the lifetime in base 36
 * (empty when the link lives exactly as long as its session, `sessionExpiresAt`,
 * as every link `linkSite` makes does), the site and the session id,
 * tab-separated, the id last (it may hold anything). A site holding a tab,
 * an unknown via, or a time that is not a whole number, falls back to a
 * JSON array (which starts with `[`).
 *
 * @example
 * ```ts
 * await client.set(linkKey, encodeLink(link, session.absoluteExpiresAt), 'PXAT', link.expiresAt)
 * ```
 */
export function encodeLink(link: LinkRecord, sessionExpiresAt = Number.NaN): string {
  const lifetime = link.expiresAt - link.createdAt
  const via = Object.hasOwn(VIA_CODE, link.via) ? VIA_CODE[link.via] : undefined
  if (via !== undefined && Number.isSafeInteger(link.createdAt) && link.createdAt >= 0 && Number.isSafeInteger(lifetime) && !link.site.includes('\t')) {
    const life = link.expiresAt === sessionExpiresAt ? '' : lifetime.toString(36)
    return `${via}${link.createdAt.toString(36)}\t${life}\t${link.site}\t${link.sessionId}`
  }
  return JSON.stringify([link.sessionId, link.site, link.via, link.createdAt, link.expiresAt])
}

function parseLink(value: string, sessionExpiresAt: number): LinkRecord | null {
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
  const first = value.indexOf('\t')
  const second = value.indexOf('\t', first + 1)
  const third = second === -1 ? -1 : value.indexOf('\t', second + 1)
  if (first < 2 || third === -1) return null
  const via = VIA_OF[value[0]!]
  const createdAt = parseInt(value.slice(1, first), 36)
  const life = value.slice(first + 1, second)
  const expiresAt = life === '' ? sessionExpiresAt : createdAt + parseInt(life, 36)
  if (via === undefined || !Number.isSafeInteger(createdAt) || !(Number.isSafeInteger(expiresAt) || expiresAt === Number.POSITIVE_INFINITY)) return null
  return { sessionId: value.slice(third + 1), site: value.slice(second + 1, third), via, createdAt, expiresAt }
}

/**
 * A link from its stored string, or null when missing, unreadable or
 * expired at `now`. `sessionExpiresAt` is its session's absolute expiry,
 * the expiry of a link stored without a lifetime (unknown: +Infinity, and
 * such a link is as live as its session).
 *
 * @example
 * ```ts
 * const link = decodeLink(await client.get(linkKey), Date.now(), session.absoluteExpiresAt)
 * ```
 */
export function decodeLink(value: unknown, now: number, sessionExpiresAt = Number.POSITIVE_INFINITY): LinkRecord | null {
  if (typeof value !== 'string') return null
  const link = parseLink(value, sessionExpiresAt)
  return link !== null && link.expiresAt > now ? link : null
}
