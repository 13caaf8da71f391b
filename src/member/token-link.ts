import { isSharedSessionError } from '../errors/shared-session-error.js'
import { cookieCount, readCookie } from '../http/cookies.js'
import type { RequestHead } from '../http/request-head.js'
import type { MemberContext } from './options.js'

/**
 * For a member on the hub's parent domain: the id of the live global
 * session named by a valid hub token cookie, or null. It is only ever a
 * reason to bounce through the hub at once, never a session to adopt: any
 * host under the parent domain can set that cookie (a sibling subdomain can
 * toss its own valid token into a visitor's browser), so a session enters
 * this site only through a pull, which the hub answers from its own
 * host-only cookie. Two token cookies in one request are no token (logged
 * as `ERR_COOKIE_DUPLICATE`).
 *
 * @example
 * ```ts
 * if (await tokenSessionId(ctx, request)) // a sign-in happened at the hub: pull now
 * ```
 */
export async function tokenSessionId(ctx: MemberContext, request: RequestHead): Promise<string | null> {
  if (!ctx.token) return null
  const token = readCookie(request, ctx.token.cookie)
  if (!token) {
    if (cookieCount(request, ctx.token.cookie) > 1) ctx.log(`shared-session: ERR_COOKIE_DUPLICATE: ${ctx.site} got two ${ctx.token.cookie} cookies (one set by another host under the parent domain?); neither is used`)
    return null
  }
  try {
    const now = ctx.now()
    const claims = await ctx.token.verify(ctx.ring.verification, token, now)
    const record = await ctx.store.getSession(claims.sid, now)
    return record && record.user?.sub === claims.sub ? record.id : null
  } catch (err) {
    if (isSharedSessionError(err) && err.status < 500) return null
    throw err
  }
}
