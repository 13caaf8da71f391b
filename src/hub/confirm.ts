import { CONFIRMATION_PARAM } from '../confirm/claims.js'
import { signConfirmation } from '../confirm/sign.js'
import { SharedSessionError } from '../errors/shared-session-error.js'
import { isTopLevelNavigation, type RequestWithBody } from '../http/request-head.js'
import { redirect } from '../http/respond.js'
import type { HubContext } from './options.js'
import { hubSession } from './request.js'
import { returnTo } from './return-to.js'

/**
 * GET /confirm?return=CALLBACK&state=S: a token-only app asks which session
 * this browser holds at the hub. The hub answers from its own host-only
 * cookie, never from the parent-domain token (which any sibling host can
 * set): a signed confirmation for the callback's origin carrying the app's
 * state and the signed-in session's `sid` (none when not signed in),
 * appended to the callback as `ss-confirm`. Top-level navigations only;
 * the callback must be on a configured site. Reads, never writes.
 *
 * @example
 * ```ts
 * // forum.acme.com → 302 https://auth.acme.com/confirm?return=https%3A%2F%2Fforum.acme.com%2F_session%2Fconfirm%3Freturn%3D%252F&state=…
 * // hub           → 302 https://forum.acme.com/_session/confirm?return=%2F&ss-confirm=eyJ…
 * ```
 */
export async function confirm(ctx: HubContext, request: RequestWithBody): Promise<Response> {
  if (!isTopLevelNavigation(request, { crawlers: true })) {
    throw new SharedSessionError('ERR_TRANSPORT', 'a confirmation is a top-level browser navigation', { detail: 'sec-fetch-mode' })
  }
  const url = new URL(request.url)
  const back = returnTo(ctx, url.searchParams.get('return'))
  const state = url.searchParams.get('state') ?? ''
  if (!back) throw new SharedSessionError('ERR_RETURN_URL', 'a confirmation needs the app\'s callback as return', { detail: 'return' })
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(state)) throw new SharedSessionError('ERR_CONFIRMATION_STATE', 'state must be 16 to 128 base64url characters', { detail: 'state' })
  const session = await hubSession(ctx, request)
  const jwt = await signConfirmation(ctx.ring, {
    issuer: ctx.issuer,
    audience: new URL(back).origin,
    nonce: state,
    sid: session?.user ? session.id : null,
    now: ctx.now(),
  })
  const answer = new URL(back)
  answer.searchParams.set(CONFIRMATION_PARAM, jwt)
  return redirect(answer.href, { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, 302)
}
