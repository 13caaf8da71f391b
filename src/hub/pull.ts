import { SharedSessionError } from '../errors/shared-session-error.js'
import { sealHandoff } from '../handoff/seal.js'
import { setSiteCookies } from '../sites/site-cookies.js'
import { PRIVATE_HEADERS, redirect } from '../http/respond.js'
import { safeReturnUrl } from '../http/return-url.js'
import { createSession } from '../sessions/create.js'
import { isWellFormedId } from '../sessions/ids.js'
import { linkSite } from '../sessions/link.js'
import { HUB_SITE, type HubContext } from './options.js'
import { hubSession } from './request.js'
import type { RequestWithBody } from '../http/request-head.js'

/**
 * GET /pull?dst=…&bind=…&return=…[&walk=…]: the hub's half of the pull. The
 * browser arrives by a top-level redirect, so the hub's own cookie is
 * first-party here even with third-party cookies blocked. Answers with a
 * redirect to the destination's accept endpoint carrying a payload sealed
 * for `dst` and bound to the destination's state hash: the visitor's session,
 * a new anonymous one (anonymous sharing), or a bound "no session". With
 * `walk`, the destination goes on to the next member of a login walk.
 *
 * @example
 * ```ts
 * // shop.de → 302 https://auth.shop.com/pull?dst=shop-de&bind=Qm9…&return=%2Fcart
 * ```
 */
export async function pull(ctx: HubContext, request: RequestWithBody): Promise<Response> {
  const dest = request.headers.get('sec-fetch-dest')
  if (dest !== null && dest !== 'document') throw new SharedSessionError('ERR_TRANSPORT', `a pull is a page navigation, not ${dest}`, { detail: 'sec-fetch-dest' })
  const url = new URL(request.url)
  const dst = memberSite(ctx, url.searchParams.get('dst'))
  if (!dst) throw new SharedSessionError('ERR_PAYLOAD_WRONG_DESTINATION', 'dst is not a configured member site', { detail: 'dst' })
  const bind = url.searchParams.get('bind')
  if (!isWellFormedId(bind)) throw new SharedSessionError('ERR_PAYLOAD_BINDING', 'bind must be the base64url SHA-256 of the state', { detail: 'bind' })
  const back = safeReturnUrl(url.searchParams.get('return') ?? '/', ctx.returnOrigins, dst.origin)
  if (!back) throw new SharedSessionError('ERR_RETURN_URL', 'the return address is not one of the configured sites', { detail: 'return' })
  const walk = (url.searchParams.get('walk') ?? '').split(',').filter(Boolean).map((name) => memberSite(ctx, name))
  if (walk.some((site) => !site)) throw new SharedSessionError('ERR_RETURN_URL', 'walk must name configured member sites', { detail: 'walk' })

  const now = ctx.now()
  const cookies: string[] = []
  let session = await hubSession(ctx, request)
  if (!session && ctx.anonymous) {
    session = await createSession(ctx.store, ctx.policy, { now })
    cookies.push(...setSiteCookies(ctx.cookies, await linkSite(ctx.store, session, HUB_SITE, now, 'new'), (session.absoluteExpiresAt - now) / 1000, { pushed: false }))
  }
  const sealed = sealHandoff(ctx.ring, { ref: session?.id ?? null, src: HUB_SITE, dst: dst.name, bind, ttlSeconds: ctx.timeout, now })
  const [next, ...rest] = walk
  const then = next ? syncUrl(ctx, next.origin, back, rest.map((s) => s!.name)) : back
  const accept = `${dst.origin}${ctx.prefix}/accept?${new URLSearchParams({ p: sealed, return: then })}`
  return redirect(accept, { ...PRIVATE_HEADERS, 'set-cookie': cookies }, 302)
}

/**
 * The URL of a member's sync endpoint: one hop of the login walk.
 *
 * @example
 * ```ts
 * syncUrl(ctx, 'https://shop.de', 'https://shop.com/', ['forum']) // 'https://shop.de/_session/sync?return=…&walk=forum'
 * ```
 */
export function syncUrl(ctx: HubContext, origin: string, back: string, walk: string[]): string {
  const query = new URLSearchParams({ return: back })
  if (walk.length > 0) query.set('walk', walk.join(','))
  return `${origin}${ctx.prefix}/sync?${query}`
}

function memberSite(ctx: HubContext, name: string | null) {
  return ctx.sites.find((site) => site.name === name && site.member !== false)
}
