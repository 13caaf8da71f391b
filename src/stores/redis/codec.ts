import type { LinkRecord, LinkVia, SessionRecord, SessionUser } from '../store.js'

/**
 * Data keys live in the session hash as `d:{key}`, beside the meta fields, so HSET/HDEL stay per key.
 *
 * @example
 * ```ts
 * await client.hget(sessionKey, DATA_FIELD + 'cart')
 * ```
 */
export const DATA_FIELD = 'd:'
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
    'created', String(record.createdAt),
    'seen', String(record.lastSeenAt),
    'idle', String(record.idleExpiresAt),
    'abs', String(record.absoluteExpiresAt),
  ]
  if (record.user !== null) fields.push('user', JSON.stringify(record.user), 'sub', record.user.sub)
  for (const [key, value] of Object.entries(record.data)) fields.push(DATA_FIELD + key, value)
  return fields
}

function toMap(flat: unknown): Map<string, string> {
  const map = new Map<string, string>()
  if (!Array.isArray(flat)) return map
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(String(flat[i]), String(flat[i + 1]))
  return map
}

/**
 * A session from the flat field/value list HGETALL returns, or null when it
 * is missing, incomplete or expired at `now` (Redis expires keys on its own
 * clock; callers pass theirs).
 *
 * @example
 * ```ts
 * const [linkFields, sessionFields] = await scripts.resolveLink(linkKey, prefix)
 * const session = fieldsToSession(link.sessionId, sessionFields, Date.now())
 * ```
 */
export function fieldsToSession(id: string, flat: unknown, now: number): SessionRecord | null {
  const fields = toMap(flat)
  const idle = Number(fields.get('idle'))
  const abs = Number(fields.get('abs'))
  if (!(idle > now && abs > now)) return null
  const data: [string, string][] = []
  for (const [field, value] of fields) if (field.startsWith(DATA_FIELD)) data.push([field.slice(DATA_FIELD.length), value])
  const user = fields.get('user')
  return {
    id,
    user: user === undefined ? null : (JSON.parse(user) as SessionUser),
    // fromEntries keeps a `__proto__` key as data rather than setting the prototype.
    data: Object.fromEntries(data),
    createdAt: Number(fields.get('created')),
    lastSeenAt: Number(fields.get('seen')),
    idleExpiresAt: idle,
    absoluteExpiresAt: abs,
  }
}

/**
 * A link from the flat field/value list of its hash, or null when missing or
 * expired at `now`.
 *
 * @example
 * ```ts
 * const [linkFields] = await scripts.resolveLink(linkKey, prefix)
 * const link = fieldsToLink(linkFields, Date.now())
 * ```
 */
export function fieldsToLink(flat: unknown, now: number): LinkRecord | null {
  const fields = toMap(flat)
  const sessionId = fields.get('sid')
  const expiresAt = Number(fields.get('expires'))
  if (sessionId === undefined || !(expiresAt > now)) return null
  return { sessionId, site: fields.get('site') ?? '', via: (fields.get('via') ?? 'new') as LinkVia, createdAt: Number(fields.get('created')), expiresAt }
}
