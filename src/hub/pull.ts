import { SharedSessionError } from '../errors/shared-session-error.js'
import { sealHandoff } from '../handoff/seal.js'
import { clearCookie, readCookie } from '../http/cookies.js'
import { setSiteCookies } from '../sites/site-cookies.js'
import { redirect } from '../http/respond.js'
import { safeReturnUrl } from '../http/return-url.js'
import { isTopLevelNavigation, type RequestWithBody } from '../http/request-head.js'
import { createSession } from '../sessions/create.js'
import { isWellFormedId } from '../sessions/ids.js'
import { linkSite } from '../sessions/link.js'
import type { ConnectionInfo } from '../adapters/node/listener.js'
import { announceIfEnded } from './notify-sites.js'
import { HUB_SITE, type HubContext } from './options.js'
import { clientAddress, hubSession } from './request.js'

/** An anonymous session made by a pull lives this long unless a member takes it (then as long as any). */
export const PENDING_SESSION_MS = 10 * 60_000

/**
 * GET /pull?dst=…&bind=…&return=…[&walk=…]: the hub's half of the pull. The
 * browser arrives by a top-level redirect, so the hub's own cookie is
 * first-party here even with third-party cookies blocked. Answers with a
 * redirect to the destination's accept endpoint carrying a payload sealed
 * for `dst` and bound to the destination's state hash: the visitor's session,
 * a new anonymous one (anonymous sharing), or a bound "no session". `walk`
 * goes along to the accept endpoint, which continues the login walk.
 *
 * Only a browser's top-level navigation is answered (anything else is a 400
 * and writes nothing); a new anonymous session lives minutes until a member
 * takes it, and each client address gets a bounded number of them, so a
 * flood of pulls cannot fill the store. A token cookie on the parent domain
 * whose hub session is gone is cleared here, so a sign-out that started at
 * a member reaches token-only apps too.
 *
 * @example
 * ```ts
 * // shop.de → 302 https://auth.shop.com/pull?dst=shop-de&bind=Qm9…&return=%2Fcart
 * ```
 */
export async function pull(ctx: HubContext, request: RequestWithBody, info: ConnectionInfo): Promise<Response> {
  if (!isTopLevelNavigation(request)) throw new SharedSessionError('ERR_TRANSPORT', 'a pull is a browser\'s page navigation', { detail: 'sec-fetch-mode' })
  const params = queryOf(request.url)
  const dst = memberSite(ctx, params.get('dst'))
  if (!dst) throw new SharedSessionError('ERR_PAYLOAD_WRONG_DESTINATION', 'dst is not a configured member site', { detail: 'dst' })
  const bind = params.get('bind')
  if (!isWellFormedId(bind)) throw new SharedSessionError('ERR_PAYLOAD_BINDING', 'bind must be the base64url SHA-256 of the state', { detail: 'bind' })
  const back = safeReturnUrl(params.get('return') ?? '/', ctx.returnOrigins, dst.origin)
  if (!back) throw new SharedSessionError('ERR_RETURN_URL', 'the return address is not one of the configured sites', { detail: 'return' })
  const walk = (params.get('walk') ?? '').split(',').filter(Boolean)
  if (walk.length > 16 || walk.some((name) => !memberSite(ctx, name))) throw new SharedSessionError('ERR_RETURN_URL', 'walk must name configured member sites', { detail: 'walk' })

  const now = ctx.now()
  const cookies: string[] = []
  let session = await hubSession(ctx, request)
  if (!session && ctx.anonymous && ctx.perAddressAnonymous.take(`address:${clientAddress(ctx, request, info.clientAddress)}`)) {
    session = await createSession(ctx.store, ctx.policy, { now, idleMs: PENDING_SESSION_MS })
    cookies.push(...setSiteCookies(ctx.cookies, await linkSite(ctx.store, session, HUB_SITE, now, 'new'), (session.absoluteExpiresAt - now) / 1000, { pushed: false }))
  }
  const token = ctx.tokenCookie ? readCookie(request, ctx.tokenCookie.name) : undefined
  if (ctx.tokenCookie && !session?.user && token !== undefined) {
    cookies.push(clearCookie(ctx.tokenCookie))
    void announceIfEnded(ctx, token)
  }
  const sealed = sealHandoff(ctx.ring, { ref: session?.id ?? null, src: HUB_SITE, dst: dst.name, bind, ttlSeconds: ctx.timeout, now })
  const query = new URLSearchParams({ p: sealed, return: back })
  // Present even when empty (the walk's last member): the member then goes on past a failure to link.
  if (params.has('walk')) query.set('walk', walk.join(','))
  // redirect() is uncacheable and sends no Referer already (PRIVATE_HEADERS).
  return redirect(`${dst.origin}${ctx.prefix}/accept?${query}`, cookies.length > 0 ? { 'set-cookie': cookies } : {}, 302)
}

/**
 * The URL of a member's sync endpoint: the first hop of the login walk.
 * The return URL goes along as it is; the members pass it on hop by hop.
 * `walk` is there even when empty, so every hop knows it is on a walk.
 *
 * @example
 * ```ts
 * syncUrl(ctx, 'https://shop.de', 'https://shop.com/', ['forum']) // 'https://shop.de/_session/sync?return=…&walk=forum'
 * ```
 */
export function syncUrl(ctx: HubContext, origin: string, back: string, walk: string[]): string {
  const query = new URLSearchParams({ return: back, walk: walk.join(',') })
  return `${origin}${ctx.prefix}/sync?${query}`
}

/** The query of a URL, without parsing the rest of it. */
function queryOf(url: string): URLSearchParams {
  const start = url.indexOf('?')
  if (start === -1) return new URLSearchParams()
  const hash = url.indexOf('#', start)
  return new URLSearchParams(hash === -1 ? url.slice(start + 1) : url.slice(start + 1, hash))
}

function memberSite(ctx: HubContext, name: string | null) {
  return ctx.sites.find((site) => site.name === name && site.member !== false)
}
