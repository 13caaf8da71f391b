/** Longest return URL accepted, in characters: more is refused, and members do not bounce with more. */
export const MAX_RETURN_URL_LENGTH = 2048

/**
 * The absolute URL to send a browser back to, or null when `raw` is not a
 * URL on one of the allowed origins. Never an open redirect: protocol-relative
 * (`//evil`), backslash (`/\evil`), userinfo (`https://good@evil`), control
 * characters and foreign origins are all refused. Relative paths resolve
 * against `base`.
 *
 * @example
 * ```ts
 * safeReturnUrl('/forum/t/1', allowed, 'http://auth.acme.localhost:4000') // 'http://auth.acme.localhost:4000/forum/t/1'
 * safeReturnUrl('//evil.localhost', allowed, base)                        // null
 * ```
 */
export function safeReturnUrl(raw: unknown, allowedOrigins: ReadonlySet<string>, base: string): string | null {
  if (typeof raw !== 'string' || raw === '' || raw.length > MAX_RETURN_URL_LENGTH) return null
  // Browsers read "\" as "/" and drop tabs/newlines inside URLs: refuse rather than guess.
  if (/[\\\u0000-\u001f\u007f]/.test(raw) || raw.startsWith('//')) return null
  const relative = raw.startsWith('/')
  if (!relative && !/^https?:\/\//i.test(raw)) return null
  let url: URL
  try {
    url = new URL(raw, base)
  } catch {
    return null
  }
  if (url.username || url.password) return null
  if (!allowedOrigins.has(url.origin)) return null
  return url.href
}
