import { HUB_SITE } from '../hub/options.js'
import { SharedSessionError } from '../errors/shared-session-error.js'
import { readCookie } from '../http/cookies.js'
import { checkCsrf } from '../http/csrf.js'
import { clearSiteCookies } from '../sites/site-cookies.js'
import type { RequestHead } from '../http/request-head.js'
import { redirect } from '../http/respond.js'
import { safeReturnUrl } from '../http/return-url.js'
import { endSession } from '../sessions/destroy.js'
import { resolveCookie } from '../sessions/resolve.js'
import { startPull } from './bounce.js'
import { memberCsrf } from './csrf.js'
import type { MemberContext } from './options.js'

/**
 * POST `{prefix}/logout?return=/&everywhere=1&csrf=…` (options in the
 * query: the body belongs to the app, middleware never reads it; build the
 * action with `req.session.logoutAction()`): destroy the global session, so
 * every site sees it gone on its next request, clear this site's cookie,
 * and go through the hub, which clears its parent-domain token cookie, so
 * token-only apps see the sign-out too. Refused from a page of another site
 * (a cross-site form cannot log the visitor out); a client that sends
 * neither `Origin` nor `Sec-Fetch-Site` must show the CSRF token.
 *
 * @example
 * ```html
 * <form method="post" action="/_session/logout?return=/&csrf=…"><button>Sign out</button></form>
 * ```
 */
export async function logout(ctx: MemberContext, request: RequestHead, url: URL): Promise<Response> {
  checkCsrf(memberCsrf(ctx), request, url.searchParams.get('csrf'), { origins: new Set([ctx.origin]), requireToken: false })
  const back = safeReturnUrl(url.searchParams.get('return') ?? '/', ctx.returnOrigins, ctx.origin)
  if (!back) throw new SharedSessionError('ERR_RETURN_URL', 'the return address is not one of the configured sites', { detail: 'return' })
  const session = await resolveCookie(ctx.store, ctx.site, readCookie(request, ctx.cookies.session.name), ctx.now())
  const everywhere = url.searchParams.get('everywhere') === '1'
  if (session) {
    await endSession(ctx.store, session, { everywhere })
    ctx.events.emit('logout', { site: ctx.site, sessionId: session.id, user: session.user, everywhere })
  }
  // Straight into a pull, whatever the bounce option (a sign-out is the visitor's own click): the hub
  // sees its session gone, clears its token cookie on the parent domain and tells the token-only sites,
  // and this site picks up whatever the hub now has (a fresh anonymous session, with anonymous
  // sharing) instead of waiting for a bounce. The hub's own pages have the hub's /logout for that.
  const next = ctx.site !== HUB_SITE ? startPull(ctx, request, back) : redirect(back, {}, 303)
  const response = new Response(null, { status: 303, headers: next.headers })
  for (const cookie of clearSiteCookies(ctx.cookies)) response.headers.append('set-cookie', cookie)
  return response
}
