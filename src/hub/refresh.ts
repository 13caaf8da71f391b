import { clearCookie, readCookie } from '../http/cookies.js'
import { announceIfEnded } from './notify-sites.js'
import { redirect } from '../http/respond.js'
import { touchSession } from '../sessions/touch.js'
import type { HubContext } from './options.js'
import { hubSession } from './request.js'
import { returnTo } from './return-to.js'
import { tokenCookieFor } from './token-cookie.js'
import type { RequestWithBody } from '../http/request-head.js'

/**
 * GET /refresh?return=URL: while the hub session lives, re-issue the token
 * cookie and go straight back; otherwise on to the login page, which comes
 * back to the same URL after signing in. With `optional=1` (a member that
 * lets guests in) no session clears the stale token cookie and goes back.
 *
 * @example
 * ```ts
 * // a member whose token expired:  302 → https://auth.acme.com/refresh?return=https://forum.acme.com/t/1
 * ```
 */
export async function refresh(ctx: HubContext, request: RequestWithBody): Promise<Response> {
  const url = new URL(request.url)
  const back = returnTo(ctx, url.searchParams.get('return'))
  const session = await hubSession(ctx, request)
  const token = session ? await tokenCookieFor(ctx, session) : null
  if (!session || !token) {
    if (ctx.tokenCookie) void announceIfEnded(ctx, readCookie(request, ctx.tokenCookie.name))
    // A guest-friendly member only wanted a fresh token: no session means "come back as a guest".
    if (back && url.searchParams.get('optional') === '1' && ctx.tokenCookie) {
      return redirect(back, { 'set-cookie': [clearCookie(ctx.tokenCookie)] }, 302)
    }
    const query = back ? `?return=${encodeURIComponent(back)}` : ''
    return redirect(`${ctx.basePath}/login${query}`, {}, 302)
  }
  await touchSession(ctx.store, ctx.policy, session, ctx.now())
  return redirect(back ?? `${ctx.basePath}/`, { 'set-cookie': [token] }, 302)
}
