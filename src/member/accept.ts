import { isSharedSessionError, SharedSessionError } from '../errors/shared-session-error.js'
import { redeemHandoff } from '../handoff/redeem.js'
import { readCookie, setCookie } from '../http/cookies.js'
import type { RequestHead } from '../http/request-head.js'
import { redirect } from '../http/respond.js'
import { safeReturnUrl } from '../http/return-url.js'
import { isWellFormedId } from '../sessions/ids.js'
import { resolveLinkedSession } from '../sessions/resolve.js'
import { fromRecord } from '../sessions/session.js'
import { adoptSession } from './adopt.js'
import { bindingOf, bounceReason, credentialsOf, NO_COOKIES_FLAG, shortRecord, stateCookies, triedRecord } from './bounce.js'
import type { MemberContext } from './options.js'
import { HUB_SITE } from '../hub/options.js'
import { clearSiteCookies } from '../sites/site-cookies.js'
import { nextHop, parseWalk, skipHop } from './walk.js'

/**
 * GET `{prefix}/accept?p=…&return=…[&walk=…]`: the end of a pull. Checks
 * everything the push checks (with the hub as the only source) plus the
 * binding to one of this browser's state cookies, links the session
 * (SameSite=Lax), and goes on: to the next member of a login walk, or to the
 * clean return URL. The state cookie the pull used is overwritten with the
 * record of this pull (see `shouldBounce`), so the return cannot bounce again.
 * On a login walk (`walk` present, empty on the last hop) a failure to link
 * (other keys, a stale or reused answer, the store) is logged and the walk
 * goes on; a browser that sent this site no cookies goes on too.
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
  const walk = parseWalk(ctx, url.searchParams.get('walk'))
  // No cookie came back at all: this browser refuses cookies. Go on without a loop (nothing is spent).
  if (!request.headers.get('cookie')) return redirect(nextHop(ctx, withFlag(back), walk), {}, 303)
  // On a login walk a failure here must not strand the visitor: go on to the next hop (see skipHop).
  if (!url.searchParams.has('walk')) return link(ctx, request, url, back, walk)
  try {
    return await link(ctx, request, url, back, walk)
  } catch (err) {
    return skipHop(ctx, err, back, walk)
  }
}

async function link(ctx: MemberContext, request: RequestHead, url: URL, back: string, walk: readonly string[]): Promise<Response> {

  const pending = new Map<string, ReturnType<typeof stateCookies>[number]>()
  for (const c of stateCookies(ctx, request)) if (isWellFormedId(c.value)) pending.set(bindingOf(c.value), c)
  const redeem = () =>
    redeemHandoff(ctx.store, ctx.ring, url.searchParams.get('p'), { dst: ctx.site, sources: new Set([HUB_SITE]), bind: new Set(pending.keys()), timeoutSeconds: ctx.timeout, now: ctx.now() })
  if (pending.size === 0) {
    // Cookies come back, but no state cookie of ours: this browser keeps some cookies and not
    // these. Spend the answer, link nothing, and go back flagged, as for a cookieless browser.
    await redeem().catch((err: unknown) => {
      if (!isSharedSessionError(err, 'ERR_PAYLOAD_BINDING')) throw err
    })
    return redirect(nextHop(ctx, withFlag(back), walk), {}, 303)
  }
  const payload = await redeem()
  const used = pending.get(payload.bind!)!
  const shown = await credentialsOf(ctx, request)
  const cookies: string[] = []
  const target = payload.ref === null ? null : await ctx.store.getSession(payload.ref, ctx.now())
  let variants: { held?: string; live?: boolean }[] = [{}]
  if (!target) {
    // Clear only a cookie whose session is gone: a sync started by any page must not unlink a live one.
    const held = readCookie(request, ctx.cookies.session.name)
    if (held !== undefined && !(await resolveLinkedSession(ctx.store, ctx.site, held, ctx.now()))) {
      cookies.push(...clearSiteCookies(ctx.cookies))
      variants = [{}, { held: '' }, { live: false }, { held: '', live: false }]
    }
  } else {
    const adopted = await adoptSession(ctx, request, fromRecord(target), { via: 'pull', src: payload.src })
    cookies.push(...adopted.cookies)
    // Right after linking, the return shows the new live companion; should the browser refuse the
    // session cookie, that must not bounce again. Only for the return: a session cookie evicted
    // minutes later is worth a pull.
    if (adopted.outcome === 'linked' && ctx.cookies.live) cookies.push(shortRecord(ctx, [bounceReason(shown, { live: true })], ctx.timeout))
  }
  // The record covers the next request as it may be: as seen, and with what this response sets or
  // clears really there or gone, so a browser that refuses some of these writes still matches it.
  const reasons = variants.map((v) => bounceReason(shown, v))
  cookies.push(setCookie(used.spec, triedRecord(reasons), ctx.retryAfterSeconds))
  return redirect(nextHop(ctx, back, walk), { 'set-cookie': cookies }, 303)
}

function withFlag(url: string): string {
  const u = new URL(url)
  u.searchParams.set(NO_COOKIES_FLAG, '1')
  return u.href
}
