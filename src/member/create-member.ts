import type { MiddlewareCore, MiddlewareResult, ResponseSink } from '../adapters/middleware.js'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { Emitter } from '../events/emitter.js'
import { cookieCount, readCookie } from '../http/cookies.js'
import { isTopLevelNavigation, type RequestHead } from '../http/request-head.js'
import { HUB_SITE } from '../hub/options.js'
import { resolveLinkedSession } from '../sessions/resolve.js'
import { touchDue, touchSession } from '../sessions/touch.js'
import { accept } from './accept.js'
import { returnTarget, shouldBounce, startPull } from './bounce.js'
import { logout } from './logout.js'
import { resolveMemberOptions, type MemberContext, type MemberOptions } from './options.js'
import { push } from './push.js'
import { scheduleSelfCheck } from './self-check.js'
import { MemberSession } from './session-handle.js'
import { sync } from './sync.js'

/**
 * A member site: middleware that gives every request its shared session
 * (`req.session`) and serves the push, accept, sync and logout endpoints
 * under its prefix. Wrap it with any adapter (`toExpress`, `registerFastify`,
 * `toHono`, `withNodeMiddleware`).
 *
 * @example
 * ```ts
 * const member = createMember({ site: 'shop-de', sites, hub: 'https://auth.shop.com', keys: ring, store })
 * member.events.on('session.replaced', (e) => console.log(`${e.dst} joined ${e.src}'s session by ${e.via}`))
 * app.use(toExpress(member))
 * ```
 */
export interface Member extends MiddlewareCore<MemberSession> {
  context: MemberContext
  events: Emitter
}

const PUSH_FILE = /^([A-Za-z0-9_-]{1,1024})\.js$/

/**
 * Create a member from options, validated once (bad options throw here).
 * Shortly after, in the background, the member checks that it belongs to
 * its hub and logs one line per problem naming the fix (see `checkMember`;
 * `selfCheck: false` turns it off).
 *
 * @example
 * ```ts
 * const member = createMember({ site: 'shop', sites, hub, keys: ring, store, alwaysReplace: false, timeout: 30 })
 * ```
 */
export function createMember(options: MemberOptions): Member {
  const ctx = resolveMemberOptions(options)
  const base = `${ctx.prefix}/`
  const member: Member = {
    property: ctx.property,
    origin: ctx.origin,
    context: ctx,
    events: ctx.events,
    async handle(request: RequestHead, sink?: ResponseSink): Promise<MiddlewareResult<MemberSession>> {
      // The hot path needs only the path: parse a URL object only for endpoints and bounces.
      if (pathOf(request.url, ctx.origin.length).startsWith(base)) {
        const url = new URL(request.url)
        return { value: new MemberSession(ctx, request, null, null, sink), response: await endpoint(ctx, request, url, url.pathname.slice(base.length)) }
      }
      const now = ctx.now()
      const held = readCookie(request, ctx.cookies.session.name)
      const found = await resolveLinkedSession(ctx.store, ctx.site, held, now)
      if (found) {
        if (touchDue(ctx.policy, found.session, now)) await touchSession(ctx.store, ctx.policy, found.session, now)
        return { value: new MemberSession(ctx, request, found.session, found.link.via, sink, readCookie(request, ctx.pushed.name)) }
      }
      if (held === undefined && cookieCount(request, ctx.cookies.session.name) > 1) {
        ctx.log(`shared-session: ERR_COOKIE_DUPLICATE: ${ctx.site} got two ${ctx.cookies.session.name} cookies (one set by another host?); neither is used`)
      }
      // A cross-site POST or subresource never carries this site's Lax cookie: what it shows is not
      // the visitor's session, so it neither bounces, nor clears cookies, nor may it write (a new
      // session would overwrite the one the visitor holds).
      if (!canCarrySessionCookie(ctx, request, held)) return { value: new MemberSession(ctx, request, null, null, sink, undefined, true) }
      const url = new URL(request.url)
      if (await shouldBounce(ctx, request, url)) {
        return { value: new MemberSession(ctx, request, null, null, sink), response: startPull(ctx, request, returnTarget(ctx, url)!) }
      }
      // A dead cookie is left as it is here: only the accept endpoint clears cookies, so what a page
      // shows stays what the record of the last pull says (see shouldBounce), and no page loops.
      return { value: new MemberSession(ctx, request, null, null, sink) }
    },
  }
  scheduleSelfCheck(member)
  return member
}

/**
 * Whether this request could have carried the site's `SameSite=Lax` session
 * cookie: every same-site request and every top-level GET navigation can; a
 * cross-site POST, `fetch()` or subresource cannot. Browsers without
 * `Sec-Fetch-Site` are judged by the `live` companion (SameSite=None, sent
 * cross-site): present without the session cookie on anything but a
 * navigation, the session cookie was withheld.
 */
function canCarrySessionCookie(ctx: MemberContext, request: RequestHead, held: string | undefined): boolean {
  const site = request.headers.get('sec-fetch-site')
  if (site !== null) return site !== 'cross-site' || isTopLevelNavigation(request, { crawlers: true })
  if (held !== undefined || !ctx.cookies.live || readCookie(request, ctx.cookies.live.name) === undefined) return true
  return isTopLevelNavigation(request, { crawlers: true })
}

/** The path of a URL built on an origin of `originLength` characters, without its query: no URL parsing. */
function pathOf(url: string, originLength: number): string {
  if (url.charCodeAt(originLength) !== 47 /* "/" */) return new URL(url).pathname
  const query = url.indexOf('?', originLength)
  return query === -1 ? url.slice(originLength) : url.slice(originLength, query)
}

async function endpoint(ctx: MemberContext, request: RequestHead, url: URL, path: string): Promise<Response> {
  // The hub's own pages are a member too, for reading the session, but a session enters the hub
  // only through its own login or cookie: never by push, pull or sync.
  if (ctx.site === HUB_SITE && path !== 'logout') throw new SharedSessionError('ERR_NOT_FOUND', `the hub takes no ${ctx.prefix}/${path.slice(0, 40)}: sessions enter it only by signing in`)
  if (path.startsWith('push/') && request.method === 'GET') {
    const file = PUSH_FILE.exec(path.slice('push/'.length))
    if (file) return push(ctx, request, file[1]!)
  }
  if (path === 'accept' && request.method === 'GET') return accept(ctx, request, url)
  if (path === 'sync' && request.method === 'GET') return sync(ctx, request, url)
  if (path === 'logout' && request.method === 'POST') return logout(ctx, request, url)
  throw new SharedSessionError('ERR_NOT_FOUND', `no shared-session endpoint ${ctx.prefix}/${path.slice(0, 40)} for ${request.method}`)
}
