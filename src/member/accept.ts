import { SharedSessionError } from '../errors/shared-session-error.js'
import { redeemHandoff } from '../handoff/redeem.js'
import { clearCookie, readCookie, setCookie } from '../http/cookies.js'
import type { RequestHead } from '../http/request-head.js'
import { redirect } from '../http/respond.js'
import { safeReturnUrl } from '../http/return-url.js'
import { isWellFormedId } from '../sessions/ids.js'
import { resolveLinkedSession } from '../sessions/resolve.js'
import { fromRecord } from '../sessions/session.js'
import { adoptSession } from './adopt.js'
import { bindingOf, NO_COOKIES_FLAG } from './bounce.js'
import type { MemberContext } from './options.js'
import { HUB_SITE } from '../hub/options.js'
import { clearSiteCookies } from '../sites/site-cookies.js'

/**
 * GET `{prefix}/accept?p=…&return=…`: the end of a pull. Checks everything
 * the push checks (with the hub as the only source) plus the binding to this
 * browser's state cookie, links the session (SameSite=Lax), clears the
 * state, and goes to the clean return URL. A "no session" answer sets the
 * attempt marker instead, so the site does not bounce again for a while.
 *
 * @example
 * ```ts
 * // hub → 302 https://shop.de/_session/accept?p=AV…&return=%2Fcart
 * ```
 */
export async function accept(ctx: MemberContext, request: RequestHead, url: URL): Promise<Response> {
  const dest = request.headers.get('sec-fetch-dest')
  if (dest !== null && dest !== 'document') throw new SharedSessionError('ERR_TRANSPORT', `a pull answer is a page navigation, not ${dest}`, { detail: 'sec-fetch-dest' })
  const back = safeReturnUrl(url.searchParams.get('return') ?? '/', ctx.returnOrigins, ctx.origin)
  if (!back) throw new SharedSessionError('ERR_RETURN_URL', 'the return address is not one of the configured sites', { detail: 'return' })

  const state = readCookie(request, ctx.state.name)
  if (!isWellFormedId(state)) {
    // No cookie came back at all: this browser refuses cookies. Go on without a loop.
    if (!request.headers.get('cookie')) return redirect(withFlag(back), {}, 303)
    throw new SharedSessionError('ERR_PAYLOAD_BINDING', 'this answer is not bound to this browser (no state cookie)', { detail: 'state' })
  }
  const payload = await redeemHandoff(ctx.store, ctx.ring, url.searchParams.get('p'), {
    dst: ctx.site,
    sources: new Set([HUB_SITE]),
    bind: bindingOf(state),
    timeoutSeconds: ctx.timeout,
    now: ctx.now(),
  })
  const cookies = [clearCookie(ctx.state)]
  const target = payload.ref === null ? null : await ctx.store.getSession(payload.ref, ctx.now())
  if (!target) {
    // The hub had nothing to give: remember, so this site does not bounce on every page.
    cookies.push(setCookie(ctx.tried, '1', ctx.retryAfterSeconds))
    // Clear only a cookie whose session is gone: a sync started by any page must not unlink a live one.
    const held = readCookie(request, ctx.cookies.session.name)
    if (held !== undefined && !(await resolveLinkedSession(ctx.store, ctx.site, held, ctx.now()))) cookies.push(...clearSiteCookies(ctx.cookies))
    return redirect(back, { 'set-cookie': cookies }, 303)
  }
  cookies.push(...(await adoptSession(ctx, request, fromRecord(target), { via: 'pull', src: payload.src })).cookies)
  if (readCookie(request, ctx.tried.name) !== undefined) cookies.push(clearCookie(ctx.tried))
  return redirect(back, { 'set-cookie': cookies }, 303)
}

function withFlag(url: string): string {
  const u = new URL(url)
  u.searchParams.set(NO_COOKIES_FLAG, '1')
  return u.href
}
