import { clearCookie } from '../http/cookies.js'
import { endSession } from '../sessions/destroy.js'
import type { GlobalSession } from '../sessions/session.js'
import { clearSiteCookies } from '../sites/site-cookies.js'
import { HUB_SITE, type HubContext } from './options.js'

/**
 * Sign a session out at the hub, the one way every hub sign-out goes (the
 * logout endpoints and "Your sessions"): end it (or, `everywhere`, every
 * session of its user) and fire `logout`, which notifies the sites that
 * only read the token (see `create-hub.ts`).
 *
 * @example
 * ```ts
 * await endHubSession(ctx, session, { everywhere: false })
 * ```
 */
export async function endHubSession(ctx: HubContext, session: GlobalSession, options: { everywhere: boolean }): Promise<void> {
  await endSession(ctx.store, session, options)
  ctx.events.emit('logout', { site: HUB_SITE, sessionId: session.id, user: session.user, everywhere: options.everywhere })
}

/**
 * The `Set-Cookie` values that sign this browser out at the hub: its site
 * cookies and the parent-domain token cookie, cleared.
 *
 * @example
 * ```ts
 * return redirect(`${ctx.basePath}/login`, { 'set-cookie': signedOutCookies(ctx) })
 * ```
 */
export function signedOutCookies(ctx: HubContext): string[] {
  const cookies = clearSiteCookies(ctx.cookies)
  if (ctx.tokenCookie) cookies.push(clearCookie(ctx.tokenCookie))
  return cookies
}
