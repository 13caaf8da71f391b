import { redirect } from '../http/respond.js'
import { touchSession } from '../sessions/touch.js'
import type { HubContext } from './options.js'
import { hubSession } from './request.js'
import { returnTo } from './return-to.js'
import { tokenCookieFor } from './token-cookie.js'

/**
 * GET /refresh?return=URL: while the hub session lives, re-issue the token
 * cookie and go straight back; otherwise on to the login page, which comes
 * back to the same URL after signing in.
 *
 * @example
 * ```ts
 * // a member whose token expired:  302 → https://auth.acme.com/refresh?return=https://forum.acme.com/t/1
 * ```
 */
export async function refresh(ctx: HubContext, request: Request): Promise<Response> {
  const raw = new URL(request.url).searchParams.get('return')
  const back = returnTo(ctx, raw)
  const session = await hubSession(ctx, request)
  const token = session ? await tokenCookieFor(ctx, session) : null
  if (!session || !token) {
    const query = back ? `?return=${encodeURIComponent(back)}` : ''
    return redirect(`${ctx.basePath}/login${query}`, {}, 302)
  }
  await touchSession(ctx.store, ctx.policy, session, ctx.now())
  return redirect(back ?? `${ctx.basePath}/`, { 'set-cookie': [token] }, 302)
}
