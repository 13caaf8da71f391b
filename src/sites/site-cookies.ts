import { clearCookie, isSecureOrigin, readCookie, setCookie, type CookieSpec } from '../http/cookies.js'
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
 * const cookies = siteCookies('https://shop.com')
 * ```
 */
export interface SiteCookies {
  session: CookieSpec
  pushed: CookieSpec
  live: CookieSpec | null
}

/**
 * Whether first-party cookies of an origin are marked `Secure` (and so
 * carry the `__Host-`/`__Secure-` prefixes): on https only. Chromium and
 * Firefox also keep `Secure` cookies over http on `localhost` and
 * `*.localhost`, but WebKit (Safari) drops every `Secure` cookie over http,
 * so there a first-party cookie must not be `Secure` or no session, state or
 * CSRF cookie survives. The cross-site cookies (`SameSite=None`) need
 * `Secure` everywhere; WebKit blocks them anyway.
 *
 * @example
 * ```ts
 * marksCookiesSecure('https://shop.com') // true
 * marksCookiesSecure('http://shop.localhost:4002') // false
 * ```
 */
export function marksCookiesSecure(origin: string): boolean {
  return new URL(origin).protocol === 'https:'
}

/**
 * A host-only first-party cookie of an origin: `__Host-<name>; Secure` on
 * https, plain `<name>` without `Secure` on http (see
 * {@link marksCookiesSecure}).
 *
 * @example
 * ```ts
 * firstPartyCookie('https://shop.com', 'ss-state', 'lax') // { name: '__Host-ss-state', secure: true, sameSite: 'lax' }
 * ```
 */
export function firstPartyCookie(origin: string, name: string, sameSite: CookieSpec['sameSite']): CookieSpec {
  const secure = marksCookiesSecure(origin)
  return { name: secure ? `__Host-${name}` : name, secure, sameSite }
}

/**
 * The site cookie specs for an origin. On https: `__Host-ss` (Lax, or None
 * when pushed) and `__Host-ss-live`. On http `localhost`/`*.localhost`: a
 * plain `ss` that is not `Secure` when set first-party, so WebKit keeps it,
 * and `Secure` when pushed and for `ss-live`, which need `SameSite=None`
 * (Chromium and Firefox keep those there; WebKit blocks cross-site cookies
 * anyway). On other http origins: no `live` cookie and no push.
 *
 * @example
 * ```ts
 * siteCookies('https://shop.com').session.name // '__Host-ss'
 * siteCookies('http://shop.localhost:4002').session // { name: 'ss', secure: false, sameSite: 'lax' }
 * ```
 */
export function siteCookies(origin: string): SiteCookies {
  const session = firstPartyCookie(origin, 'ss', 'lax')
  return {
    session,
    pushed: { name: session.name, secure: true, sameSite: 'none' },
    live: isSecureOrigin(origin) ? { name: `${session.name}-live`, secure: true, sameSite: 'none' } : null,
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
 * session cookie when it was sent; else, with `live`, from the `live`
 * companion (for a push: a cross-site subresource request never carries the
 * Lax session cookie, only the companion). A top-level navigation carries
 * the session cookie whenever the browser has it, so there a lone companion
 * means the cookie was evicted and names nothing.
 *
 * @example
 * ```ts
 * const key = heldLinkKey(cookies, request, { live: true }) // then store.resolveLink(key, now)
 * ```
 */
export function heldLinkKey(cookies: SiteCookies, request: RequestHead, options: { live: boolean }): string | undefined {
  const value = readCookie(request, cookies.session.name)
  if (isWellFormedId(value)) return hashCookieValue(value)
  const live = options.live && cookies.live ? readCookie(request, cookies.live.name) : undefined
  return isWellFormedId(live) ? live : undefined
}
