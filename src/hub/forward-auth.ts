import { tokenStanding } from '../confirm/binding.js'
import { confirmCookies, type ConfirmCookies } from '../confirm/cookies.js'
import { startConfirmation } from '../confirm/start.js'
import { isSharedSessionError } from '../errors/shared-session-error.js'
import { cookieCount, readCookie } from '../http/cookies.js'
import { errorPageHtml, wantsPage } from '../http/error-page.js'
import { isTopLevelNavigation, type RequestWithBody } from '../http/request-head.js'
import { LightResponse } from '../http/light-response.js'
import { html, json, redirect, PRIVATE_HEADERS } from '../http/respond.js'
import { safeReturnUrl } from '../http/return-url.js'
import type { LoginClaims } from '../tokens/claims.js'
import { assertNotRevoked, storeRevocationCheck } from '../tokens/revocation.js'
import { userHeaders } from '../tokens/user-headers.js'
import type { HubContext } from './options.js'

/**
 * The path on the app's host that the proxy maps to the hub's
 * `/forward-auth/confirm`: where the hub's confirmation comes back to, so
 * the binding cookie is set on the app's own host.
 */
export const FORWARD_AUTH_CONFIRM_PATH = '/_session/confirm'

/**
 * GET /forward-auth: for reverse proxies (nginx `auth_request`, Traefik
 * `forwardAuth`, Caddy `forward_auth`) and for consumers in other languages
 * that want a revocation check. Reads the token from the parent-domain
 * cookie or `Authorization: Bearer`, verifies it, checks that its session
 * still lives, and answers 200 with the user in `X-Auth-*` headers, or 401
 * with the error code.
 *
 * A token cookie is trusted only once the hub has vouched for its session
 * in this browser (`confirmTokens`, on by default): any host under the
 * parent domain can set it. The proxy forwards the app host's cookies, so
 * the app's host-only binding cookie tells; without it the answer is 401
 * `ERR_TOKEN_UNCONFIRMED`. With `?redirect=1` (Traefik, Caddy, nginx's
 * `@login`) a browser's page is sent through the hub's `/confirm` and back
 * to the app's {@link FORWARD_AUTH_CONFIRM_PATH}; any other failure is a
 * 302 to the hub's refresh page for the original URL from `X-Forwarded-*`,
 * except two token cookies, which no refresh can mend (an error page).
 *
 * @example
 * ```nginx
 * location = /_auth { internal; proxy_pass http://hub/forward-auth; }
 * ```
 */
export async function forwardAuth(ctx: HubContext, request: RequestWithBody): Promise<Response> {
  const now = ctx.now()
  const authorization = request.headers.get('authorization')
  // A token verified before is known without a promise, and needs no character check (it passed one).
  let known: LoginClaims | undefined
  let bearer: string | undefined
  if (authorization !== null && authorization.startsWith('Bearer ')) {
    const candidate = authorization.slice(7)
    known = ctx.verifyToken.cached(candidate, now)
    if (known !== undefined || BEARER_TOKEN.test(candidate)) bearer = candidate
  }
  const token = bearer ?? (ctx.tokenCookie ? readCookie(request, ctx.tokenCookie.name) : undefined)
  if (!token) {
    // Two token cookies (one tossed by a sibling host under the parent domain) are no credential.
    if (!bearer && ctx.tokenCookie && cookieCount(request, ctx.tokenCookie.name) > 1) {
      ctx.log(`shared-session: ERR_COOKIE_DUPLICATE: forward-auth got two ${ctx.tokenCookie.name} cookies (one set by another host under the parent domain?); neither is used`)
      // Never to /refresh: it cannot remove a cookie another host set with another Path, so it would loop.
      return refusal(request, 'ERR_COOKIE_DUPLICATE', 'This browser holds two sign-in tokens for this site, one of them set by another site under the same domain, so neither is used. Clear this site\'s cookies and sign in again.')
    }
    return unauthorized(ctx, request, 'ERR_NOT_AUTHENTICATED')
  }
  let claims: LoginClaims
  try {
    // A token verified before costs a map lookup, without a promise; revocation is asked of the store every time.
    claims = (bearer !== undefined ? known : ctx.verifyToken.cached(token, now)) ?? (await ctx.verifyToken(ctx.ring.verification, token, now))
    await assertNotRevoked(claims, storeRevocationCheck(ctx.store), now)
  } catch (err) {
    if (isSharedSessionError(err) && err.status < 500) return unauthorized(ctx, request, err.code)
    throw err
  }
  if (!bearer && ctx.confirmTokens && ctx.tokenCookie) {
    const cookies = confirmCookies(ctx.tokenCookie.secure)
    const standing = tokenStanding(request, cookies, claims.sid)
    // Asked about this very token, the hub did not vouch for it: no login (refresh puts the visitor's own token back, or signs in).
    if (standing === 'refused') return unauthorized(ctx, request, 'ERR_TOKEN_UNCONFIRMED')
    if (standing === 'unconfirmed') return unconfirmed(ctx, request, cookies)
  }
  return new LightResponse(200, grantFields(claims))
}

/** The 200's header fields per verified token: the verifier hands out the same frozen claims for the same token, so they are built once. */
const granted = new WeakMap<LoginClaims, Record<string, string>>()

function grantFields(claims: LoginClaims): Record<string, string> {
  let fields = granted.get(claims)
  if (fields === undefined) {
    fields = { ...userHeaders(claims), 'cache-control': 'no-store' }
    // Shared between responses: frozen, so no writer can change another request's answer.
    if (Object.isFrozen(claims)) granted.set(claims, Object.freeze(fields))
  }
  return fields
}

/** What `Authorization: Bearer` may carry (base64url and dots). */
const BEARER_TOKEN = /^[A-Za-z0-9._-]+$/

/**
 * The app's origin and the original path from `X-Forwarded-Proto`/`-Host`/`-Uri`,
 * or null unless the origin is one of the hub's configured sites (never the hub itself).
 *
 * @example
 * ```ts
 * const site = forwardedSite(ctx, request) // { origin: 'https://wiki.acme.com', path: '/page?x=1' }
 * ```
 */
export function forwardedSite(ctx: HubContext, request: RequestWithBody): { origin: string; path: string } | null {
  const h = request.headers
  const original = `${h.get('x-forwarded-proto') ?? 'https'}://${h.get('x-forwarded-host') ?? ''}${h.get('x-forwarded-uri') ?? '/'}`
  const safe = safeReturnUrl(original, ctx.returnOrigins, ctx.origin)
  if (!safe) return null
  const url = new URL(safe)
  if (!ctx.sites.some((site) => site.origin === url.origin)) return null
  return { origin: url.origin, path: url.pathname + url.search }
}

function isRedirectMode(request: RequestWithBody): boolean {
  return new URL(request.url).searchParams.get('redirect') === '1'
}

/**
 * A valid token cookie the hub has not yet vouched for in this browser. A
 * browser's page (redirect mode) goes through the hub's `/confirm` once (a
 * second tab shares a round trip in flight), and its answer is recorded for
 * this very token, so the same token never asks again.
 */
function unconfirmed(ctx: HubContext, request: RequestWithBody, cookies: ConfirmCookies): Response {
  if (isRedirectMode(request)) {
    const site = forwardedSite(ctx, request)
    // Traefik and Caddy ask with GET and name the original method in X-Forwarded-Method.
    const method = request.headers.get('x-forwarded-method') ?? request.method
    const navigation = isTopLevelNavigation({ method: method.toUpperCase(), url: request.url, headers: request.headers }, { crawlers: true })
    if (site && navigation) {
      const inFlight = readCookie(request, cookies.state.name)
      return startConfirmation({ hubBase: `${ctx.origin}${ctx.basePath}`, origin: site.origin, callbackPath: FORWARD_AUTH_CONFIRM_PATH, back: site.path, cookies, inFlight })
    }
    return refusal(request, 'ERR_TOKEN_UNCONFIRMED', 'This request could not confirm the sign-in with the sign-in service: only a page opened in the browser can (or the site is not configured at the hub).')
  }
  return unauthorized(ctx, request, 'ERR_TOKEN_UNCONFIRMED')
}

function unauthorized(ctx: HubContext, request: RequestWithBody, code: string): Response {
  if (isRedirectMode(request)) {
    const site = forwardedSite(ctx, request)
    const query = site ? `?return=${encodeURIComponent(site.origin + site.path)}` : ''
    return redirect(`${ctx.origin}${ctx.basePath}/refresh${query}`, {}, 302)
  }
  return json({ error: code }, 401, { ...PRIVATE_HEADERS, 'www-authenticate': `Bearer realm="shared-session", error="invalid_token"` })
}

/** A 401 that no redirect mends: an error page for a browser's page in redirect mode, else the code. */
function refusal(request: RequestWithBody, code: string, message: string): Response {
  if (isRedirectMode(request) && wantsPage(request)) {
    return html(errorPageHtml({ code, status: 401, message }, request), 401, { ...PRIVATE_HEADERS })
  }
  return json({ error: code }, 401, { ...PRIVATE_HEADERS, 'www-authenticate': `Bearer realm="shared-session", error="invalid_token"` })
}
