/**
 * Session data keys under this prefix belong to shared-session itself (the
 * session map: the device a session was signed in on, and which sites hold
 * it). Apps never see them: `fromRecord` leaves them out, `toPatch` refuses
 * them, and no merge, rotation or handoff copies them.
 *
 * @example
 * ```ts
 * isReservedKey(`${RESERVED_PREFIX}device`) // true
 * ```
 */
export const RESERVED_PREFIX = '@ss/'

/**
 * True for a data key that only shared-session may read or write.
 *
 * @example
 * ```ts
 * isReservedKey('cart') // false
 * ```
 */
export function isReservedKey(key: string): boolean {
  return key.startsWith(RESERVED_PREFIX)
}

/**
 * A copy of stored or parsed session data without the reserved keys: what
 * an app may see, carry or compare.
 *
 * @example
 * ```ts
 * withoutReserved(record.data) // { cart: '["teapot"]' }
 * ```
 */
export function withoutReserved<T>(data: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {}
  for (const [key, value] of Object.entries(data)) if (!isReservedKey(key)) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  return out
}
