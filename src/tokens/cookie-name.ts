/**
 * The name of the parent-domain login token cookie: `__Secure-ss-token`
 * when the hub marks its cookies `Secure` (an https hub), `ss-token`
 * otherwise (an http hub, `*.localhost` included: WebKit drops `Secure`
 * cookies over http). Pass `marksCookiesSecure(hubOrigin)`; hub and
 * consumers derive it the same way.
 *
 * @example
 * ```ts
 * tokenCookieName(true) // '__Secure-ss-token'
 * ```
 */
export function tokenCookieName(secure: boolean): string {
  return secure ? '__Secure-ss-token' : 'ss-token'
}
