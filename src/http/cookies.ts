import { parse, serialize, type SerializeOptions } from 'cookie'
import type { RequestHead } from './request-head.js'

/**
 * The value of one request cookie, or undefined. Malformed headers yield
 * undefined rather than an error: a bad cookie is no session.
 *
 * @example
 * ```ts
 * const value = readCookie(request, '__Host-ss')
 * ```
 */
export function readCookie(request: RequestHead, name: string): string | undefined {
  const header = request.headers.get('cookie')
  if (!header || header.length > 16_384) return undefined
  const value = parse(header)[name]
  return typeof value === 'string' ? value : undefined
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
  const options: SerializeOptions = {
    httpOnly: true,
    secure: spec.secure,
    sameSite: spec.sameSite,
    path: spec.path ?? '/',
  }
  if (spec.domain) options.domain = spec.domain
  if (maxAgeSeconds !== undefined) options.maxAge = Math.max(0, Math.floor(maxAgeSeconds))
  return serialize(spec.name, value, options)
}

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
