/**
 * The name of the parent-domain login token cookie: `__Secure-ss-token`
 * where the origin is a secure context (https, `*.localhost`), `ss-token`
 * otherwise. Hub and consumers derive it the same way.
 *
 * @example
 * ```ts
 * tokenCookieName(true) // '__Secure-ss-token'
 * ```
 */
export function tokenCookieName(secure: boolean): string {
  return secure ? '__Secure-ss-token' : 'ss-token'
}
