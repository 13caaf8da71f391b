import { SharedSessionError } from '../errors/shared-session-error.js'
import type { SessionRecord, SessionUser } from '../stores/store.js'
import { isReservedKey, RESERVED_PREFIX } from './reserved.js'

/**
 * A global session as apps see it: `data` holds parsed JSON values.
 *
 * @example
 * ```ts
 * const cart = (session.data.cart as string[] | undefined) ?? []
 * ```
 */
export interface GlobalSession {
  id: string
  user: SessionUser | null
  data: Record<string, unknown>
  createdAt: number
  lastSeenAt: number
  idleExpiresAt: number
  absoluteExpiresAt: number
}

/**
 * Turn a stored record into a {@link GlobalSession} (parse each data value).
 * Reserved keys (the session map, see `reserved.ts`) are left out: apps never see them.
 *
 * @example
 * ```ts
 * const session = fromRecord(await store.getSession(id, Date.now()))
 * ```
 */
export function fromRecord(record: SessionRecord): GlobalSession {
  const data: Record<string, unknown> = Object.create(null)
  const stored = record.data
  for (const key in stored) if (Object.hasOwn(stored, key) && !isReservedKey(key)) data[key] = JSON.parse(stored[key]!)
  const { id, user, createdAt, lastSeenAt, idleExpiresAt, absoluteExpiresAt } = record
  return { id, user, data, createdAt, lastSeenAt, idleExpiresAt, absoluteExpiresAt }
}

/** Longest data key, and largest JSON text of one value, accepted. */
const MAX_KEY_LENGTH = 128
const MAX_VALUE_BYTES = 64 * 1024

/**
 * Encode app data changes into a store patch: `undefined` removes a key,
 * anything else is stored as JSON. Refuses keys and values a store could
 * not hold faithfully, and keys under the reserved prefix (`@ss/`), with
 * ERR_SESSION_DATA_INVALID.
 *
 * @example
 * ```ts
 * toPatch({ cart: ['book'], coupon: undefined }) // { set: { cart: '["book"]' }, unset: ['coupon'] }
 * ```
 */
export function toPatch(changes: Record<string, unknown>): { set: Record<string, string>; unset: string[] } {
  const set: Record<string, string> = {}
  const unset: string[] = []
  for (const [key, value] of Object.entries(changes)) {
    if (key === '' || key.length > MAX_KEY_LENGTH || /[\u0000-\u001f]/.test(key)) {
      throw new SharedSessionError('ERR_SESSION_DATA_INVALID', `session data key ${JSON.stringify(key.slice(0, 40))} must be 1–${MAX_KEY_LENGTH} printable characters`, { detail: key.slice(0, 40) })
    }
    if (isReservedKey(key)) {
      throw new SharedSessionError('ERR_SESSION_DATA_INVALID', `session data keys starting with ${RESERVED_PREFIX} are shared-session's own`, { detail: key.slice(0, 40) })
    }
    if (value === undefined) {
      unset.push(key)
      continue
    }
    let json: string | undefined
    try {
      json = JSON.stringify(value)
    } catch (cause) {
      throw new SharedSessionError('ERR_SESSION_DATA_INVALID', `session data "${key}" is not JSON-serialisable`, { detail: key, cause })
    }
    // A UTF-16 unit is at most 3 bytes of UTF-8: count bytes only for text that could be too long.
    if (json === undefined || (json.length * 3 > MAX_VALUE_BYTES && Buffer.byteLength(json) > MAX_VALUE_BYTES)) {
      throw new SharedSessionError('ERR_SESSION_DATA_INVALID', `session data "${key}" must be JSON of at most ${MAX_VALUE_BYTES} bytes`, { detail: key })
    }
    Object.defineProperty(set, key, { value: json, enumerable: true, writable: true, configurable: true })
  }
  return { set, unset }
}
