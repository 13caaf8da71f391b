import { clearCookie, readCookie, setCookie, type CookieSpec } from '../http/cookies.js'
import type { RequestHead } from '../http/request-head.js'
import { hashCookieValue, isWellFormedId } from '../sessions/ids.js'

/**
 * The cookies a site keeps for its link to the global session:
 * - `session`: the link's random value, the credential. `SameSite=Lax`
 *   when set first-party (pull, login, a local write); `pushed` is the same
 *   cookie as a cross-site script must set it (`SameSite=None; Secure`).
 * - `live`: the link's store key (SHA-256 of the value), `SameSite=None`, so
 *   a push, a cross-site subresource request that never carries a Lax
 *   cookie, can still see which session this site holds and honour
 *   `alwaysReplace: false`. It cannot be replayed as a session cookie: the
 *   store is keyed by the hash of what the browser presents.
 *
 * @example
 * ```ts
 * const cookies = siteCookies(isSecureOrigin(origin))
 * ```
 */
export interface SiteCookies {
  session: CookieSpec
  pushed: CookieSpec
  live: CookieSpec | null
}

/**
 * The site cookie specs for an origin: `__Host-` names where the origin is
 * a secure context; no `live` cookie elsewhere (it needs `Secure`).
 *
 * @example
 * ```ts
 * siteCookies(true).session.name // '__Host-ss'
 * ```
 */
export function siteCookies(secure: boolean): SiteCookies {
  const prefix = secure ? '__Host-' : ''
  return {
    session: { name: `${prefix}ss`, secure, sameSite: 'lax' },
    pushed: { name: `${prefix}ss`, secure: true, sameSite: 'none' },
    live: secure ? { name: `${prefix}ss-live`, secure: true, sameSite: 'none' } : null,
  }
}

/**
 * `Set-Cookie` values that link this site: the session cookie (Lax, or None
 * when set by a push) and its `live` companion.
 *
 * @example
 * ```ts
 * headers.append(...setSiteCookies(cookies, value, maxAge, { pushed: false }))
 * ```
 */
export function setSiteCookies(cookies: SiteCookies, value: string, maxAgeSeconds: number, how: { pushed: boolean }): string[] {
  const out = [setCookie(how.pushed ? cookies.pushed : cookies.session, value, maxAgeSeconds)]
  if (cookies.live) out.push(setCookie(cookies.live, hashCookieValue(value), maxAgeSeconds))
  return out
}

/**
 * `Set-Cookie` values that unlink this site.
 *
 * @example
 * ```ts
 * for (const c of clearSiteCookies(cookies)) sink.setCookie(c)
 * ```
 */
export function clearSiteCookies(cookies: SiteCookies): string[] {
  return cookies.live ? [clearCookie(cookies.session), clearCookie(cookies.live)] : [clearCookie(cookies.session)]
}

/**
 * The store key of this site's link as the request shows it: from the
 * session cookie when it was sent, else from the `live` companion.
 *
 * @example
 * ```ts
 * const key = heldLinkKey(cookies, request) // then store.resolveLink(key, now)
 * ```
 */
export function heldLinkKey(cookies: SiteCookies, request: RequestHead): string | undefined {
  const value = readCookie(request, cookies.session.name)
  if (isWellFormedId(value)) return hashCookieValue(value)
  const live = cookies.live ? readCookie(request, cookies.live.name) : undefined
  return isWellFormedId(live) ? live : undefined
}
