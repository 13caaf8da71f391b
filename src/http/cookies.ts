import { serialize, type SerializeOptions } from 'cookie'
import type { RequestHead } from './request-head.js'

/**
 * The value of one request cookie, or undefined. Malformed headers yield
 * undefined rather than an error: a bad cookie is no session. Two cookies
 * of the same name (a sibling subdomain tossed one with `Domain=` or a
 * narrower `Path=`) are no credential either: the browser's order is not
 * a trust decision, so neither is read ({@link cookieCount} tells why).
 *
 * @example
 * ```ts
 * const value = readCookie(request, '__Host-ss')
 * ```
 */
export function readCookie(request: RequestHead, name: string): string | undefined {
  const found = scan(request.headers.get('cookie'), name)
  return found.count === 1 ? found.value : undefined
}

/**
 * How many cookies of this name the request carries (0, 1, or more: a
 * tossed duplicate). For logging why a credential was refused.
 *
 * @example
 * ```ts
 * if (cookieCount(request, ctx.token.cookie) > 1) log('ERR_COOKIE_DUPLICATE: …')
 * ```
 */
export function cookieCount(request: RequestHead, name: string): number {
  return scan(request.headers.get('cookie'), name).count
}

/** One pass over a Cookie header: the value of `name` and how often it occurs. */
function scan(header: string | null, name: string): { value: string | undefined; count: number } {
  if (!header || header.length > 16_384) return { value: undefined, count: 0 }
  let value: string | undefined
  let count = 0
  let start = 0
  while (start < header.length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = header.length
    const eq = header.indexOf('=', start)
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      count++
      value = decode(header.slice(eq + 1, end).trim())
    }
    start = end + 1
  }
  return { value, count }
}

function decode(raw: string): string {
  const unquoted = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw
  if (!unquoted.includes('%')) return unquoted
  try {
    return decodeURIComponent(unquoted)
  } catch {
    return unquoted
  }
}

/** Attributes of a cookie shared-session sets. HttpOnly is always on. */
export interface CookieSpec {
  name: string
  secure: boolean
  sameSite: 'lax' | 'strict' | 'none'
  domain?: string
  path?: string
}

/**
 * A `Set-Cookie` header value for a cookie spec. `maxAgeSeconds` 0 deletes it.
 *
 * @example
 * ```ts
 * headers.append('set-cookie', setCookie(hubCookie, cookieValue, 86_400))
 * ```
 */
export function setCookie(spec: CookieSpec, value: string, maxAgeSeconds?: number): string {
  // The attributes are the same for every value of a spec: serialized (and validated) once, then reused.
  let attributes = ATTRIBUTES.get(spec)
  if (attributes === undefined) {
    const options: SerializeOptions = { httpOnly: true, secure: spec.secure, sameSite: spec.sameSite, path: spec.path ?? '/' }
    if (spec.domain) options.domain = spec.domain
    attributes = serialize(spec.name, '', options).slice(spec.name.length + 1)
    ATTRIBUTES.set(spec, attributes)
  }
  const age = maxAgeSeconds === undefined ? undefined : Math.max(0, Math.floor(maxAgeSeconds))
  // Anything `cookie` would encode or refuse goes through it, as before.
  if (!PLAIN_VALUE.test(value) || (age !== undefined && !Number.isSafeInteger(age))) {
    const options: SerializeOptions = { httpOnly: true, secure: spec.secure, sameSite: spec.sameSite, path: spec.path ?? '/' }
    if (spec.domain) options.domain = spec.domain
    if (age !== undefined) options.maxAge = age
    return serialize(spec.name, value, options)
  }
  // `cookie` puts Max-Age first, then Domain, Path, HttpOnly, Secure, SameSite.
  return age === undefined ? `${spec.name}=${value}${attributes}` : `${spec.name}=${value}; Max-Age=${age}${attributes}`
}

/** Per spec: its `Set-Cookie` attributes after the value, Max-Age aside (`; Path=/; HttpOnly; …`). */
const ATTRIBUTES = new WeakMap<CookieSpec, string>()
/** Values `encodeURIComponent` leaves as they are: written without `cookie`'s encoding pass. */
const PLAIN_VALUE = /^[A-Za-z0-9_.!~*'()-]*$/

/**
 * A `Set-Cookie` header value that deletes the cookie.
 *
 * @example
 * ```ts
 * headers.append('set-cookie', clearCookie(tokenCookie))
 * ```
 */
export function clearCookie(spec: CookieSpec): string {
  return setCookie(spec, '', 0)
}

/**
 * True when browsers treat the origin as a secure context, so `Secure`
 * cookies work: https, and http on `localhost` / `*.localhost`.
 *
 * @example
 * ```ts
 * isSecureOrigin('http://auth.acme.localhost:4000') // true
 * ```
 */
export function isSecureOrigin(origin: string): boolean {
  const url = new URL(origin)
  return url.protocol === 'https:' || url.hostname === 'localhost' || url.hostname.endsWith('.localhost')
}
