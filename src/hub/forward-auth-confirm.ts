import { confirmCookies } from '../confirm/cookies.js'
import { finishConfirmation } from '../confirm/finish.js'
import { verifyConfirmation } from '../confirm/verify.js'
import { SharedSessionError } from '../errors/shared-session-error.js'
import { readCookie } from '../http/cookies.js'
import type { RequestWithBody } from '../http/request-head.js'
import { forwardedSite } from './forward-auth.js'
import type { HubContext } from './options.js'

/**
 * GET /forward-auth/confirm: the confirmation callback of an app behind
 * forward-auth. The proxy maps the app's `/_session/confirm` here, with the
 * app's cookies and `X-Forwarded-Proto`/`-Host`, so the binding cookie this
 * sets is host-only on the app's host, where no sibling host can set it.
 * Checks the hub's answer against the browser's state cookie and the app's
 * origin (a configured site), records it for the token the request carries
 * and goes back to the page.
 *
 * @example
 * ```nginx
 * location = /_session/confirm { proxy_pass http://hub/forward-auth/confirm; proxy_set_header X-Forwarded-Host $http_host; }
 * ```
 */
export async function forwardAuthConfirm(ctx: HubContext, request: RequestWithBody): Promise<Response> {
  if (!ctx.tokenCookie) throw new SharedSessionError('ERR_NOT_FOUND', 'this hub sets no token cookie (no parentDomain), so there is nothing to confirm')
  const site = forwardedSite(ctx, request)
  if (!site) throw new SharedSessionError('ERR_RETURN_URL', 'the confirmation callback is not on one of the configured sites (X-Forwarded-Proto and X-Forwarded-Host name the app)', { detail: 'x-forwarded-host' })
  const token = readCookie(request, ctx.tokenCookie.name)
  const claims = token ? await ctx.verifyToken(ctx.ring.verification, token, ctx.now()).catch(() => null) : null
  return finishConfirmation(request, {
    cookies: confirmCookies(ctx.tokenCookie.secure),
    tokenSid: claims?.sid ?? null,
    verify: async (jwt, state) => verifyConfirmation(ctx.ring.verification, jwt, { issuer: ctx.issuer, audience: site.origin, nonce: state, now: ctx.now() }),
  })
}
