import { readCookie, setCookie } from '../http/cookies.js'
import type { RequestHead } from '../http/request-head.js'
import { hashCookieValue } from '../sessions/ids.js'
import { linkSite } from '../sessions/link.js'
import { resolveLinkedSession } from '../sessions/resolve.js'
import type { GlobalSession } from '../sessions/session.js'
import type { MemberContext } from './options.js'

/** What adopting an incoming session did. */
export type AdoptOutcome = 'linked' | 'kept' | 'same'

/**
 * Take a session handed over by push, pull or token: link this site to it,
 * unless this site already holds it (`same`) or holds another live session
 * and `alwaysReplace` is off (`kept`, django-shared-session's default: only
 * fill an empty site). Returns the `Set-Cookie` to send when it linked, and
 * fires `session.replaced`.
 *
 * @example
 * ```ts
 * const { cookie, outcome } = await adoptSession(ctx, request, target, { via: 'push', src: 'shop' })
 * ```
 */
export async function adoptSession(
  ctx: MemberContext,
  request: RequestHead,
  target: GlobalSession,
  how: { via: 'push' | 'pull' | 'token'; src: string },
): Promise<{ cookie: string | null; outcome: AdoptOutcome }> {
  const now = ctx.now()
  const held = readCookie(request, ctx.cookie.name)
  const current = await resolveLinkedSession(ctx.store, ctx.site, held, now)
  if (current?.session.id === target.id) return { cookie: null, outcome: 'same' }
  if (current && !ctx.alwaysReplace) return { cookie: null, outcome: 'kept' }
  if (current && held) await ctx.store.deleteLink(hashCookieValue(held))
  const value = await linkSite(ctx.store, target, ctx.site, now, how.via)
  // A cookie set from a cross-site script is a third-party cookie: only SameSite=None; Secure is kept.
  const spec = how.via === 'push' ? ctx.pushCookie : ctx.cookie
  ctx.events.emit('session.replaced', { site: ctx.site, src: how.src, dst: ctx.site, wasEmpty: current === null, via: how.via })
  return { cookie: setCookie(spec, value, (target.absoluteExpiresAt - now) / 1000), outcome: 'linked' }
}
