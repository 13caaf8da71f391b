import { SharedSessionError } from '../errors/shared-session-error.js'
import type { RequestHead } from '../http/request-head.js'
import { safeReturnUrl } from '../http/return-url.js'
import { startPull } from './bounce.js'
import type { MemberContext } from './options.js'
import { parseWalk } from './walk.js'

/**
 * GET `{prefix}/sync?return=…&walk=…`: start a pull on purpose, as one hop
 * of the hub's login walk (or any "link this site now" link). The return
 * URL may be on any configured site; `walk` names the sites still to visit.
 *
 * @example
 * ```ts
 * // hub after login → 303 https://shop.de/_session/sync?return=https%3A%2F%2Fshop.com%2F&walk=forum
 * ```
 */
export function sync(ctx: MemberContext, request: RequestHead, url: URL): Response {
  const dest = request.headers.get('sec-fetch-dest')
  if (dest !== null && dest !== 'document') throw new SharedSessionError('ERR_TRANSPORT', `a sync is a page navigation, not ${dest}`, { detail: 'sec-fetch-dest' })
  const back = safeReturnUrl(url.searchParams.get('return') ?? '/', ctx.returnOrigins, ctx.origin)
  if (!back) throw new SharedSessionError('ERR_RETURN_URL', 'the return address is not one of the configured sites', { detail: 'return' })
  const walk = parseWalk(ctx, url.searchParams.get('walk'))
  // `walk` goes along even when empty: the accept endpoint then knows it is on a walk, and goes on past a failure.
  return startPull(ctx, request, back, url.searchParams.has('walk') ? walk.join(',') : undefined)
}
