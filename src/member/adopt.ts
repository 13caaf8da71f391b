import type { RequestHead } from '../http/request-head.js'
import { linkSite } from '../sessions/link.js'
import type { GlobalSession } from '../sessions/session.js'
import { heldLinkKey, setSiteCookies } from '../sites/site-cookies.js'
import type { MemberContext } from './options.js'

/** What adopting an incoming session did. */
export type AdoptOutcome = 'linked' | 'kept' | 'same'

/**
 * Take a session handed over by push, pull or token: link this site to it,
 * unless this site already holds it (`same`) or holds another live session
 * and `alwaysReplace` is off (`kept`, django-shared-session's default: only
 * fill an empty site). A signed-in session from the hub (pull, token) always
 * replaces an anonymous one: a login reaches every site. Returns the `Set-Cookie` values to send when it
 * linked, and fires `session.replaced`.
 *
 * @example
 * ```ts
 * const { cookies, outcome } = await adoptSession(ctx, request, target, { via: 'push', src: 'shop' })
 * ```
 */
export async function adoptSession(
  ctx: MemberContext,
  request: RequestHead,
  target: GlobalSession,
  how: { via: 'push' | 'pull' | 'token'; src: string },
): Promise<{ cookies: string[]; outcome: AdoptOutcome }> {
  const now = ctx.now()
  // A push never carries this site's Lax session cookie; the `live` companion tells which link it holds.
  const key = heldLinkKey(ctx.cookies, request)
  const found = key === undefined ? null : await ctx.store.resolveLink(key, now)
  const current = found && found.link.site === ctx.site ? found : null
  if (current?.session.id === target.id) return { cookies: [], outcome: 'same' }
  // alwaysReplace off keeps a live session, except that a sign-in arriving from the hub (a pull
  // bound to this browser, or the hub's own token) beats an anonymous session: a login must reach
  // every site. Never by push: a push is only as trustworthy as the page that embedded it.
  const signIn = how.via !== 'push' && current !== null && current.session.user === null && target.user !== null
  if (current && !ctx.alwaysReplace && !signIn) return { cookies: [], outcome: 'kept' }
  if (current) await ctx.store.deleteLink(key!)
  const value = await linkSite(ctx.store, target, ctx.site, now, how.via)
  ctx.events.emit('session.replaced', { site: ctx.site, src: how.src, dst: ctx.site, wasEmpty: current === null, via: how.via })
  return { cookies: setSiteCookies(ctx.cookies, value, (target.absoluteExpiresAt - now) / 1000, { pushed: how.via === 'push' }), outcome: 'linked' }
}
