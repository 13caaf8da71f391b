import { createHash, randomBytes } from 'node:crypto'

/** 256 random bits as unpadded base64url: 43 characters. */
const ID = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/

/**
 * A fresh random id: 256 bits, base64url. Used for global session ids and
 * for every site's cookie value.
 *
 * @example
 * ```ts
 * const cookieValue = newId() // 'h8P…' (43 characters)
 * ```
 */
export function newId(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * True when `value` has the exact shape of an id from {@link newId}.
 * Anything else (empty, `__proto__`, overlong, control characters) is
 * treated as no session without touching the store.
 *
 * @example
 * ```ts
 * isWellFormedId('__proto__') // false
 * ```
 */
export function isWellFormedId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value)
}

/**
 * The store key of a cookie value: SHA-256, base64url. The value itself is
 * never stored, so a store dump holds no usable cookie. A fast hash is
 * right here: the input is 256 random bits, not a password.
 *
 * @example
 * ```ts
 * await store.resolveLink(hashCookieValue(cookieValue), Date.now())
 * ```
 */
export function hashCookieValue(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}
