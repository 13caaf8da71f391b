import type { MiddlewareCore, MiddlewareResult, ResponseSink } from '../adapters/middleware.js'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { Emitter } from '../events/emitter.js'
import { readCookie } from '../http/cookies.js'
import { clearSiteCookies } from '../sites/site-cookies.js'
import type { RequestHead } from '../http/request-head.js'
import { HUB_SITE } from '../hub/options.js'
import { resolveLinkedSession } from '../sessions/resolve.js'
import { touchSession } from '../sessions/touch.js'
import { accept } from './accept.js'
import { adoptSession } from './adopt.js'
import { returnTarget, shouldBounce, startPull } from './bounce.js'
import { logout } from './logout.js'
import { resolveMemberOptions, type MemberContext, type MemberOptions } from './options.js'
import { push } from './push.js'
import { MemberSession } from './session-handle.js'
import { sync } from './sync.js'
import { sessionFromToken } from './token-link.js'

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
 *
 * @example
 * ```ts
 * const member = createMember({ site: 'shop', sites, hub, keys: ring, store, alwaysReplace: false, timeout: 30 })
 * ```
 */
export function createMember(options: MemberOptions): Member {
  const ctx = resolveMemberOptions(options)
  const base = `${ctx.prefix}/`
  return {
    property: 'session',
    origin: ctx.origin,
    context: ctx,
    events: ctx.events,
    async handle(request: RequestHead, sink?: ResponseSink): Promise<MiddlewareResult<MemberSession>> {
      // The hot path needs only the path: parse a URL object only for endpoints and bounces.
      if (pathOf(request.url, ctx.origin.length).startsWith(base)) {
        const url = new URL(request.url)
        return { value: new MemberSession(ctx, null, null, sink), response: await endpoint(ctx, request, url, url.pathname.slice(base.length)) }
      }
      const now = ctx.now()
      const held = readCookie(request, ctx.cookies.session.name)
      const found = await resolveLinkedSession(ctx.store, ctx.site, held, now)
      if (found) {
        await touchSession(ctx.store, ctx.policy, found.session, now)
        return { value: new MemberSession(ctx, found.session, found.link.via, sink, readCookie(request, ctx.pushed.name)) }
      }
      const fromToken = await sessionFromToken(ctx, request)
      if (fromToken && sink) {
        const { cookies } = await adoptSession(ctx, request, fromToken, { via: 'token', src: HUB_SITE })
        for (const cookie of cookies) sink.setCookie(cookie)
        return { value: new MemberSession(ctx, fromToken, 'token', sink) }
      }
      const url = new URL(request.url)
      if (shouldBounce(ctx, request, url, { staleCookie: held !== undefined })) {
        return { value: new MemberSession(ctx, null, null, sink), response: startPull(ctx, returnTarget(ctx, url)!) }
      }
      if (held !== undefined) for (const cookie of clearSiteCookies(ctx.cookies)) sink?.setCookie(cookie)
      return { value: new MemberSession(ctx, null, null, sink) }
    },
  }
}

/** The path of a URL built on an origin of `originLength` characters, without its query: no URL parsing. */
function pathOf(url: string, originLength: number): string {
  if (url.charCodeAt(originLength) !== 47 /* "/" */) return new URL(url).pathname
  const query = url.indexOf('?', originLength)
  return query === -1 ? url.slice(originLength) : url.slice(originLength, query)
}

async function endpoint(ctx: MemberContext, request: RequestHead, url: URL, path: string): Promise<Response> {
  if (path.startsWith('push/') && request.method === 'GET') {
    const file = PUSH_FILE.exec(path.slice('push/'.length))
    if (file) return push(ctx, request, file[1]!)
  }
  if (path === 'accept' && request.method === 'GET') return accept(ctx, request, url)
  if (path === 'sync' && request.method === 'GET') return sync(ctx, request, url)
  if (path === 'logout' && request.method === 'POST') return logout(ctx, request, url)
  throw new SharedSessionError('ERR_NOT_FOUND', `no shared-session endpoint ${ctx.prefix}/${path.slice(0, 40)} for ${request.method}`)
}
