import { createHash } from 'node:crypto'
import { readCookie, setCookie } from '../http/cookies.js'
import { redirect } from '../http/respond.js'
import { MAX_RETURN_URL_LENGTH } from '../http/return-url.js'
import { isTopLevelNavigation, type RequestHead } from '../http/request-head.js'
import { newId } from '../sessions/ids.js'
import type { MemberContext } from './options.js'

/**
 * Query flag the accept endpoint adds to the return URL when the browser
 * sent no cookies at all: cookies are off, so the next page must not bounce
 * again (the only loop-proof signal a cookieless browser carries).
 */
export const NO_COOKIES_FLAG = 'ss-nocookies'

/**
 * Whether to bounce this request through the hub: only a top-level GET
 * navigation by a browser (never POST, `fetch()`, subresources or crawlers),
 * with no live session, when bouncing is on, no recent attempt brought
 * nothing back (unless the site's cookie just died: logout, rotation), and
 * the browser is not known to refuse cookies.
 *
 * @example
 * ```ts
 * if (shouldBounce(ctx, request, url, { staleCookie: true })) return startPull(ctx, returnTarget(ctx, url)!)
 * ```
 */
export function shouldBounce(ctx: MemberContext, request: RequestHead, url: URL, state: { staleCookie: boolean }): boolean {
  if (ctx.bounce === 'never' || !isTopLevelNavigation(request)) return false
  if (url.searchParams.has(NO_COOKIES_FLAG)) return false
  // A return the hub would refuse would turn this page into an error page: serve it without a session instead.
  if (returnTarget(ctx, url) === null) return false
  if (!state.staleCookie && readCookie(request, ctx.tried.name) !== undefined) return false
  // Navigating within this site with no cookie at all: what we set earlier was dropped, cookies are off.
  if (request.headers.get('sec-fetch-site') === 'same-origin' && !request.headers.get('cookie')) return false
  return true
}

/**
 * Where a bounce from `url` comes back to: its path and query, made absolute
 * when the path starts with `//` (relative, that would read as another host
 * and the hub would refuse it), or null when it is too long for the hub to
 * take back.
 *
 * @example
 * ```ts
 * returnTarget(ctx, new URL('https://shop.de/cart?x=1')) // '/cart?x=1'
 * ```
 */
export function returnTarget(ctx: MemberContext, url: URL): string | null {
  const path = url.pathname + url.search
  const back = path.startsWith('//') ? ctx.origin + path : path
  return back.length <= MAX_RETURN_URL_LENGTH ? back : null
}

/**
 * Start a pull: set a fresh random state cookie (HttpOnly, SameSite=Lax) and
 * send the browser to the hub's pull endpoint with the state's hash, so the
 * answer is good only in this browser. `walk` carries the rest of a login
 * walk through the hub.
 *
 * @example
 * ```ts
 * return { value: session, response: startPull(ctx, '/cart?x=1') }
 * ```
 */
export function startPull(ctx: MemberContext, returnTo: string, walk?: string): Response {
  const state = newId()
  const query = new URLSearchParams({ dst: ctx.site, bind: bindingOf(state), return: returnTo })
  if (walk) query.set('walk', walk)
  const stateCookie = setCookie(ctx.state, state, ctx.timeout * 4)
  return redirect(`${ctx.hubBase}/pull?${query}`, { 'set-cookie': [stateCookie] }, 302)
}

/**
 * The binding of a state value: base64url SHA-256. The hub sees only this;
 * the state itself never leaves the browser's cookie jar for this site.
 *
 * @example
 * ```ts
 * const bind = bindingOf(readCookie(request, ctx.state.name)!)
 * ```
 */
export function bindingOf(state: string): string {
  return createHash('sha256').update(state).digest('base64url')
}
