import { createHash, randomBytes } from 'node:crypto'
import { clearCookie, readCookie, setCookie, type CookieSpec } from '../http/cookies.js'
import { redirect } from '../http/respond.js'
import { MAX_RETURN_URL_LENGTH } from '../http/return-url.js'
import { isTopLevelNavigation, type RequestHead } from '../http/request-head.js'
import { newId } from '../sessions/ids.js'
import type { MemberContext } from './options.js'
import { tokenSessionId } from './token-link.js'

/**
 * Query flag the accept endpoint adds to the return URL when the browser
 * sent no cookies at all: cookies are off, so the next page must not bounce
 * again (the only loop-proof signal a cookieless browser carries).
 */
export const NO_COOKIES_FLAG = 'ss-nocookies'

/**
 * Whether to bounce this request through the hub: only a top-level GET
 * navigation by a browser (never POST, `fetch()`, subresources or crawlers),
 * with no live session, when bouncing is on, the browser is not known to
 * refuse cookies, and no earlier bounce was made for the same {@link
 * bounceReason} (what credentials the browser showed). A pull records its
 * reason when it ends, in the very cookie the bounce set, so a browser that
 * keeps the state cookie (without which no pull can work) also keeps the
 * record: the return to the page cannot bounce again, whatever else the
 * browser keeps or drops. A new reason (the site's cookie died at a logout
 * or a login elsewhere, the hub's token names another session) tries again.
 *
 * @example
 * ```ts
 * if (await shouldBounce(ctx, request, url)) return startPull(ctx, request, returnTarget(ctx, url)!)
 * ```
 */
export async function shouldBounce(ctx: MemberContext, request: RequestHead, url: URL): Promise<boolean> {
  if (ctx.bounce === 'never' || !isTopLevelNavigation(request)) return false
  if (url.searchParams.has(NO_COOKIES_FLAG)) return false
  // A return the hub would refuse would turn this page into an error page: serve it without a session instead.
  if (returnTarget(ctx, url) === null) return false
  // Navigating within this site with no cookie at all: what we set earlier was dropped, cookies are off.
  if (request.headers.get('sec-fetch-site') === 'same-origin' && !request.headers.get('cookie')) return false
  const reason = bounceReason(await credentialsOf(ctx, request))
  return !stateCookies(ctx, request).some((c) => c.value.startsWith('t.') && c.value.slice(2).split('.').includes(reason))
}

/**
 * What credentials a request shows, read once: the site's own session
 * cookie (present but dead, or absent), whether its `live` companion is
 * there, and, for a member on the hub's parent domain, the session a valid
 * hub token names (a token check and a store read, so only on bounces and
 * pull answers, never on the hot path).
 *
 * @example
 * ```ts
 * const shown: Credentials = { held: '', live: true, sid: '' }
 * ```
 */
export interface Credentials {
  held: string
  live: boolean
  sid: string
}

/**
 * Read the {@link Credentials} of a request.
 *
 * @example
 * ```ts
 * const reason = bounceReason(await credentialsOf(ctx, request))
 * ```
 */
export async function credentialsOf(ctx: MemberContext, request: RequestHead): Promise<Credentials> {
  return {
    held: readCookie(request, ctx.cookies.session.name) ?? '',
    live: ctx.cookies.live !== null && readCookie(request, ctx.cookies.live.name) !== undefined,
    sid: (await tokenSessionId(ctx, request)) ?? '',
  }
}

/**
 * The credentials as a short hash: equal reasons mean a new bounce could
 * bring back nothing new. A lone `live` companion counts (the session
 * cookie was evicted: worth a pull). `after` overrides what the request
 * showed with what a response leaves in its place (the accept endpoint
 * clears a dead cookie, or sets a new `live`), so a record can match the
 * next request whether or not the browser really took the change.
 *
 * @example
 * ```ts
 * bounceReason(shown, { held: '' }) // 'q3Z…' (22 characters)
 * ```
 */
export function bounceReason(shown: Credentials, after: Partial<Pick<Credentials, 'held' | 'live'>> = {}): string {
  const { held, live } = { ...shown, ...after }
  return createHash('sha256').update(`${held}|${live ? 1 : 0}|${shown.sid}`).digest('base64url').slice(0, 22)
}

/**
 * The value a finished pull leaves in its state cookie: every reason the
 * next request may show (as seen, and as it will be if the cookies this
 * response clears are really gone: a cookie a sibling host set on the
 * parent domain survives our deletion), so neither brings a second bounce.
 *
 * @example
 * ```ts
 * setCookie(spec, triedRecord([reason]), ctx.retryAfterSeconds) // 't.q3Z…'
 * ```
 */
export function triedRecord(reasons: readonly string[]): string {
  return `t.${[...new Set(reasons)].join('.')}`
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
 * Start a pull: set a fresh random state in a cookie of its own
 * (`ss-state-<k>`, HttpOnly, SameSite=Lax), so two tabs bouncing at once
 * never overwrite each other's state, and send the browser to the hub's
 * pull endpoint with the state's hash, so the answer is good only in this
 * browser. Records of earlier pulls are dropped: this bounce is for a new
 * reason. `walk` carries the rest of a login walk through the hub (empty
 * on its last hop: still on a walk).
 *
 * @example
 * ```ts
 * return { value: session, response: startPull(ctx, request, '/cart?x=1') }
 * ```
 */
export function startPull(ctx: MemberContext, request: RequestHead | null, returnTo: string, walk?: string): Response {
  const state = newId()
  const query = new URLSearchParams({ dst: ctx.site, bind: bindingOf(state), return: returnTo })
  if (walk !== undefined) query.set('walk', walk)
  const cookies = request ? stateCookies(ctx, request).filter((c) => c.value.startsWith('t.')).map((c) => clearCookie(c.spec)) : []
  cookies.push(setCookie(stateSpec(ctx, randomBytes(6).toString('base64url')), state, ctx.timeout * 4))
  return redirect(`${ctx.hubBase}/pull?${query}`, { 'set-cookie': cookies }, 302)
}

/** One `ss-state-<k>` cookie of the request: a pending state, or the record of a finished pull. */
export interface StateCookie {
  spec: CookieSpec
  value: string
}

/**
 * Every state cookie of this site in the request (at most 16 are looked at).
 *
 * @example
 * ```ts
 * const pending = stateCookies(ctx, request).find((c) => bindingOf(c.value) === payload.bind)
 * ```
 */
export function stateCookies(ctx: MemberContext, request: RequestHead): StateCookie[] {
  const header = request.headers.get('cookie')
  if (!header || header.length > 16_384) return []
  const prefix = `${ctx.state.name}-`
  const seen = new Map<string, string[]>()
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    const name = eq === -1 ? '' : part.slice(0, eq).trim()
    if (!name.startsWith(prefix) || !/^[A-Za-z0-9_-]{8}$/.test(name.slice(prefix.length))) continue
    seen.set(name, [...(seen.get(name) ?? []), part.slice(eq + 1).trim()])
    if (seen.size === 16) break
  }
  // A name seen twice (one tossed by a sibling host) is no state at all.
  return [...seen].filter(([, values]) => values.length === 1).map(([name, [value]]) => ({ spec: stateSpec(ctx, name.slice(prefix.length)), value: value! }))
}

/**
 * A `Set-Cookie` for a record of its own, for `seconds`: the accept endpoint
 * uses it for what the request will look like right after its response
 * (the `live` companion just set), which must match only the return to the
 * page, not a visit minutes later whose session cookie was evicted.
 *
 * @example
 * ```ts
 * cookies.push(shortRecord(ctx, [reason], ctx.timeout))
 * ```
 */
export function shortRecord(ctx: MemberContext, reasons: readonly string[], seconds: number): string {
  return setCookie(stateSpec(ctx, randomBytes(6).toString('base64url')), triedRecord(reasons), seconds)
}

function stateSpec(ctx: MemberContext, key: string): CookieSpec {
  return { ...ctx.state, name: `${ctx.state.name}-${key}` }
}

/**
 * The binding of a state value: base64url SHA-256. The hub sees only this;
 * the state itself never leaves the browser's cookie jar for this site.
 *
 * @example
 * ```ts
 * const bind = bindingOf(state)
 * ```
 */
export function bindingOf(state: string): string {
  return createHash('sha256').update(state).digest('base64url')
}
