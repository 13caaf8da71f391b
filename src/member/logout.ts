import { SharedSessionError } from '../errors/shared-session-error.js'
import { readCookie } from '../http/cookies.js'
import { originAllowed } from '../http/origin-check.js'
import { clearSiteCookies } from '../sites/site-cookies.js'
import type { RequestHead } from '../http/request-head.js'
import { redirect } from '../http/respond.js'
import { safeReturnUrl } from '../http/return-url.js'
import { endSession } from '../sessions/destroy.js'
import { resolveCookie } from '../sessions/resolve.js'
import { startPull } from './bounce.js'
import type { MemberContext } from './options.js'

/**
 * POST `{prefix}/logout?return=/&everywhere=1` (options in the query: the
 * body belongs to the app, middleware never reads it):
 * destroy the global session, so every site sees it gone on its next
 * request, clear this site's cookie, and go back. Refused from a page of
 * another site (a cross-site form cannot log the visitor out).
 *
 * @example
 * ```html
 * <form method="post" action="/_session/logout?return=/"><button>Sign out</button></form>
 * ```
 */
export async function logout(ctx: MemberContext, request: RequestHead, url: URL): Promise<Response> {
  if (!originAllowed(request, new Set([ctx.origin]))) throw new SharedSessionError('ERR_CSRF', 'sign-out must be posted from this site', { detail: 'origin' })
  const back = safeReturnUrl(url.searchParams.get('return') ?? '/', ctx.returnOrigins, ctx.origin)
  if (!back) throw new SharedSessionError('ERR_RETURN_URL', 'the return address is not one of the configured sites', { detail: 'return' })
  const session = await resolveCookie(ctx.store, ctx.site, readCookie(request, ctx.cookies.session.name), ctx.now())
  const everywhere = url.searchParams.get('everywhere') === '1'
  if (session) {
    await endSession(ctx.store, session, { everywhere })
    ctx.events.emit('logout', { site: ctx.site, sessionId: session.id, user: session.user, everywhere })
  }
  // Straight into a pull: this site picks up whatever the hub now has (a fresh
  // anonymous session, with anonymous sharing) instead of waiting for a bounce.
  const next = ctx.bounce === 'auto' ? startPull(ctx, back) : redirect(back, {}, 303)
  const response = new Response(null, { status: 303, headers: next.headers })
  for (const cookie of clearSiteCookies(ctx.cookies)) response.headers.append('set-cookie', cookie)
  return response
}
