import { isSharedSessionError } from '../errors/shared-session-error.js'
import { cookieCount, readCookie } from '../http/cookies.js'
import { json, redirect, PRIVATE_HEADERS } from '../http/respond.js'
import { safeReturnUrl } from '../http/return-url.js'
import { assertNotRevoked, storeRevocationCheck } from '../tokens/revocation.js'
import { userHeaders } from '../tokens/user-headers.js'
import type { HubContext } from './options.js'
import type { RequestWithBody } from '../http/request-head.js'

/**
 * GET /forward-auth: for reverse proxies (nginx `auth_request`, Traefik
 * `forwardAuth`, Caddy `forward_auth`) and for consumers in other languages
 * that want a revocation check. Reads the token from the parent-domain
 * cookie or `Authorization: Bearer`, verifies it, checks that its session
 * still lives, and answers 200 with the user in `X-Auth-*` headers, or 401
 * with the error code. With `?redirect=1` (Traefik, Caddy) a failure is a
 * 302 to the hub's refresh page for the original URL from `X-Forwarded-*`.
 *
 * @example
 * ```nginx
 * location = /_auth { internal; proxy_pass http://hub/forward-auth; }
 * ```
 */
export async function forwardAuth(ctx: HubContext, request: RequestWithBody): Promise<Response> {
  const bearer = request.headers.get('authorization')?.match(/^Bearer ([A-Za-z0-9._-]+)$/)?.[1]
  const token = bearer ?? (ctx.tokenCookie ? readCookie(request, ctx.tokenCookie.name) : undefined)
  const now = ctx.now()
  try {
    if (!token) {
      // Two token cookies (one tossed by a sibling host under the parent domain) are no credential.
      if (!bearer && ctx.tokenCookie && cookieCount(request, ctx.tokenCookie.name) > 1) {
        ctx.log(`shared-session: ERR_COOKIE_DUPLICATE: forward-auth got two ${ctx.tokenCookie.name} cookies (one set by another host under the parent domain?); neither is used`)
        return unauthorized(ctx, request, 'ERR_COOKIE_DUPLICATE')
      }
      return unauthorized(ctx, request, 'ERR_NOT_AUTHENTICATED')
    }
    const claims = await ctx.verifyToken(ctx.ring.verification, token, now)
    await assertNotRevoked(claims, storeRevocationCheck(ctx.store), now)
    return new Response(null, { status: 200, headers: { ...userHeaders(claims), 'cache-control': 'no-store' } })
  } catch (err) {
    if (isSharedSessionError(err) && err.status < 500) return unauthorized(ctx, request, err.code)
    throw err
  }
}

function unauthorized(ctx: HubContext, request: RequestWithBody, code: string): Response {
  const url = new URL(request.url)
  if (url.searchParams.get('redirect') === '1') {
    const h = request.headers
    const original = `${h.get('x-forwarded-proto') ?? 'https'}://${h.get('x-forwarded-host') ?? ''}${h.get('x-forwarded-uri') ?? '/'}`
    const back = safeReturnUrl(original, ctx.returnOrigins, ctx.origin)
    const query = back ? `?return=${encodeURIComponent(back)}` : ''
    return redirect(`${ctx.origin}${ctx.basePath}/refresh${query}`, {}, 302)
  }
  return json({ error: code }, 401, { ...PRIVATE_HEADERS, 'www-authenticate': `Bearer realm="shared-session", error="invalid_token"` })
}
