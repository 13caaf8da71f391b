import type { RequestHead } from '../http/request-head.js'
import { linkSite } from '../sessions/link.js'
import { patchSession } from '../sessions/patch.js'
import { fromRecord, type GlobalSession } from '../sessions/session.js'
import { heldLinkKey, setSiteCookies } from '../sites/site-cookies.js'
import type { MemberContext } from './options.js'

/** What adopting an incoming session did. */
export type AdoptOutcome = 'linked' | 'kept' | 'same'

/**
 * Take a session handed over by push or pull: link this site to it, unless
 * this site already holds it (`same`) or holds another live session and
 * `alwaysReplace` is off (`kept`, django-shared-session's default: only
 * fill an empty site). A signed-in session from the hub (a pull) always
 * replaces an anonymous one: a login reaches every site. When an anonymous
 * session is replaced, its data is merged into the adopted one (the
 * member's `merge` option), so nothing the visitor did here is lost, even
 * when tracking protection deleted the hub's cookies in between. Returns
 * the `Set-Cookie` values to send when it linked, and fires
 * `session.replaced` (and `session.merged` when data was carried).
 *
 * Which session the site holds: the session cookie; for a push, which never
 * carries it, the `live` companion (see `heldLinkKey`).
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
  how: { via: 'push' | 'pull'; src: string },
): Promise<{ cookies: string[]; outcome: AdoptOutcome }> {
  const now = ctx.now()
  const key = heldLinkKey(ctx.cookies, request, { live: how.via === 'push' })
  const found = key === undefined ? null : await ctx.store.resolveLink(key, now)
  const current = found && found.link.site === ctx.site ? found : null
  if (current?.session.id === target.id) return { cookies: [], outcome: 'same' }
  // alwaysReplace off keeps a live session, except that a sign-in arriving from the hub (a pull
  // bound to this browser) beats an anonymous session: a login must reach every site. Never by
  // push: a push is only as trustworthy as the page that embedded it.
  const signIn = how.via === 'pull' && current !== null && current.session.user === null && target.user !== null
  if (current && !ctx.alwaysReplace && !signIn) return { cookies: [], outcome: 'kept' }
  if (current && current.session.user === null) await mergeInto(ctx, { ...fromRecord(current.session).data }, target, how.src)
  if (current) await ctx.store.deleteLink(key!)
  const value = await linkSite(ctx.store, target, ctx.site, now, how.via)
  // A session the hub made for a pull lives only minutes until a site takes it: now one has.
  const idleExpiresAt = Math.min(now + ctx.policy.idleTimeoutMs, target.absoluteExpiresAt)
  if (target.idleExpiresAt < idleExpiresAt - ctx.policy.touchIntervalMs) await ctx.store.touchSession(target.id, now, idleExpiresAt)
  ctx.events.emit('session.replaced', { site: ctx.site, src: how.src, dst: ctx.site, wasEmpty: current === null, via: how.via })
  return { cookies: setSiteCookies(ctx.cookies, value, (target.absoluteExpiresAt - now) / 1000, { pushed: how.via === 'push' }), outcome: 'linked' }
}

/** Carry an anonymous session's data into the session this site adopts, as the `merge` option says. */
async function mergeInto(ctx: MemberContext, anonymous: Record<string, unknown>, target: GlobalSession, src: string): Promise<void> {
  if (Object.keys(anonymous).length === 0) return
  const adopted = { ...target.data }
  const changes = ctx.merge(anonymous, adopted)
  if (Object.keys(changes).length === 0) return
  await patchSession(ctx.store, target.id, changes)
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete target.data[k]
    else Object.defineProperty(target.data, k, { value: v, enumerable: true, writable: true, configurable: true })
  }
  ctx.events.emit('session.merged', { site: ctx.site, src, sessionId: target.id, anonymous, adopted, changes })
}
