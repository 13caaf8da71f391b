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
/** Characters URL parsing leaves as they are in a path, query and fragment. */
const PLAIN_PATH = /^[\w\-.~!$&()*+,;=:@/?#%]*$/
/** What URL parsing would resolve or rewrite: dot segments, encoded dots. */
const DOT_SEGMENT = /\/\.|%2e/i

export function safeReturnUrl(raw: unknown, allowedOrigins: ReadonlySet<string>, base: string): string | null {
  if (typeof raw !== 'string' || raw === '' || raw.length > MAX_RETURN_URL_LENGTH) return null
  // Browsers read "\" as "/" and drop tabs/newlines inside URLs: refuse rather than guess.
  if (/[\\\u0000-\u001f\u007f]/.test(raw) || raw.startsWith('//')) return null
  const relative = raw.startsWith('/')
  // A plain path on an allowed base is what URL parsing would give back unchanged: no parse.
  if (relative && PLAIN_PATH.test(raw) && !DOT_SEGMENT.test(raw) && allowedOrigins.has(base)) return base + raw
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
