import type { ConnectionInfo } from '../adapters/node/listener.js'
import { isSharedSessionError } from '../errors/shared-session-error.js'
import { LIGHT_HANDLER, toFetchResponse } from '../http/light-response.js'
import { errorResponse, html, json } from '../http/respond.js'
import { escapeHtml } from '../lib/html.js'
import { confirm } from './confirm.js'
import { forwardAuth } from './forward-auth.js'
import { forwardAuthConfirm } from './forward-auth-confirm.js'
import { notifySitesOfLogout } from './notify-sites.js'
import { describeHub } from './describe.js'
import { home } from './home.js'
import { submitLogin } from './login.js'
import { showLoginForm } from './login-form.js'
import { logout } from './logout.js'
import { HUB_SITE, resolveHubOptions, type HubContext, type HubOptions } from './options.js'
import { layout } from './pages/layout.js'
import { refresh } from './refresh.js'
import { endDevice, endSite, showSessions } from './sessions-page.js'
import { pull } from './pull.js'
import { createMember, type Member } from '../member/create-member.js'
import type { Emitter } from '../events/emitter.js'
import type { RequestWithBody } from '../http/request-head.js'
import { createOidc, type OidcMount } from '../oidc/provider.js'

/**
 * The hub: a Web-standard `fetch(request) → Response` handler for central
 * login, logout, token refresh, the JWKS and forward-auth. Serve it with
 * `serveHub`, or mount it in an existing app under `basePath`.
 *
 * @example
 * ```ts
 * const hub = createHub({ origin: 'https://auth.acme.com', parentDomain: 'acme.com', keys: ring, store, users })
 * createServer(toNodeListener(hub.fetch, { origin: hub.origin })).listen(4000)
 * ```
 */
export interface Hub {
  origin: string
  context: HubContext
  /** `login`, `logout`, `session.created`, `session.replaced` at the hub. */
  events: Emitter
  /** The hub as a member of its own deployment: its pages can read `session` through it. */
  member: Member
  /** The OpenID Connect provider, when the `oidc` option is given. */
  oidc: OidcMount | null
  fetch(request: RequestWithBody, info?: ConnectionInfo): Promise<Response>
}

type Route = (ctx: HubContext, request: RequestWithBody, info: ConnectionInfo) => Promise<Response> | Response

const ROUTES: Record<string, Partial<Record<string, Route>>> = {
  '/': { GET: home },
  '/login': { GET: showLoginForm, POST: submitLogin },
  '/logout': { POST: (ctx, r) => logout(ctx, r, { everywhere: false }) },
  '/logout/everywhere': { POST: (ctx, r) => logout(ctx, r, { everywhere: true }) },
  '/sessions': { GET: showSessions },
  '/sessions/end': { POST: endDevice },
  '/sessions/end-site': { POST: endSite },
  '/refresh': { GET: refresh },
  '/confirm': { GET: confirm },
  '/pull': { GET: pull },
  '/forward-auth': { GET: forwardAuth, HEAD: forwardAuth, POST: forwardAuth },
  // The app's /_session/confirm, mapped here by the proxy: the binding cookie lands on the app's host.
  '/forward-auth/confirm': { GET: forwardAuthConfirm },
  '/.well-known/jwks.json': { GET: (ctx) => json(ctx.ring.jwks, 200, { 'cache-control': 'public, max-age=300' }) },
  // What a member checks at start-up (site list, handoff key ids): see member/self-check.ts.
  '/.well-known/shared-session.json': { GET: (ctx) => json(describeHub(ctx), 200, { 'cache-control': 'no-store' }) },
}

/**
 * Create the hub from options, validated once: a bad option throws here,
 * at start-up, with a message that says what to change.
 *
 * @example
 * ```ts
 * const hub = createHub({ origin, keys: await loadKeyRing(config.keys), store, users })
 * const response = await hub.fetch(new Request(`${origin}/.well-known/jwks.json`))
 * ```
 */
export function createHub(options: HubOptions): Hub {
  const ctx = resolveHubOptions(options)
  const member = createMember({
    site: HUB_SITE,
    sites: ctx.sites,
    hub: ctx.origin,
    hubBasePath: ctx.basePath,
    keys: ctx.ring,
    store: ctx.store,
    prefix: ctx.prefix,
    timeout: ctx.timeout,
    bounce: 'never',
    session: options.session,
    events: ctx.events,
    now: ctx.now,
    log: ctx.log,
  })
  const memberBase = `${ctx.prefix}/`
  const localBase = `${ctx.basePath}/`
  const oidc = options.oidc ? createOidc(ctx, options.oidc) : null
  // Sites that only read the token hear of every sign-out the hub sees (see hub/notify-sites.ts).
  ctx.events.on('logout', (event) => {
    if (event.user) void notifySitesOfLogout(ctx, event.everywhere ? { sub: event.user.sub } : { sub: event.user.sub, sid: event.sessionId })
  })
  // The Node adapter finds the handler that leaves light responses as they are (see toNodeListener).
  Object.defineProperty(publicFetch, LIGHT_HANDLER, { value: handle })
  return {
    origin: ctx.origin,
    context: ctx,
    events: ctx.events,
    member,
    oidc,
    fetch: publicFetch,
  }

  /** The hub's handler: its answers may be light responses, which the Node adapter writes as they are. */
  async function handle(request: RequestWithBody, info: ConnectionInfo = { clientAddress: 'unknown' }): Promise<Response> {
    try {
      const path = routePath(request.url, ctx.origin)
      if (path.startsWith(memberBase)) return (await member.handle(request)).response!
      if (oidc?.handles(path)) return await oidc.fetch(request, info)
      const local = path.startsWith(localBase) ? path.slice(ctx.basePath.length) : null
      const methods = local !== null && Object.hasOwn(ROUTES, local) ? ROUTES[local] : undefined
      if (!methods) return json({ error: 'ERR_NOT_FOUND' }, 404)
      const route = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined
      if (!route) return json({ error: 'ERR_METHOD_NOT_ALLOWED' }, 405, { allow: Object.keys(methods).join(', ') })
      return await route(ctx, request, info)
    } catch (err) {
      return isNavigation(request) && isSharedSessionError(err) && err.status < 500 ? errorPage(err.code, err.message, err.status) : errorResponse(err, ctx.log)
    }
  }

  async function publicFetch(request: RequestWithBody, info?: ConnectionInfo): Promise<Response> {
    return toFetchResponse(await handle(request, info))
  }
}

/**
 * The path of a request URL for routing. A URL on the hub's own origin
 * with a plain path (no `%`, `\\` or dot segments, which URL parsing would
 * rewrite) is sliced as it is; anything else is parsed.
 */
function routePath(url: string, origin: string): string {
  if (url.startsWith(origin) && url.charCodeAt(origin.length) === 47 /* "/" */) {
    let end = url.indexOf('?', origin.length)
    if (end === -1) end = url.length
    const hash = url.indexOf('#', origin.length)
    if (hash !== -1 && hash < end) end = hash
    const path = url.slice(origin.length, end)
    if (!UNPLAIN_PATH.test(path)) return path
  }
  return new URL(url).pathname
}

/** What URL parsing would change in a path: escapes, backslashes, dot segments, characters it encodes. */
const UNPLAIN_PATH = /[%\\]|\/\.\.?(?:\/|$)|[^\x21-\x7e]|["<>^`{|}]/

function isNavigation(request: RequestWithBody): boolean {
  return request.headers.get('sec-fetch-mode') === 'navigate' || (request.headers.get('accept') ?? '').includes('text/html')
}

function errorPage(code: string, message: string, status: number): Response {
  return html(layout('Something went wrong', `<h1>Something went wrong</h1><p class="error" data-testid="error">${escapeHtml(message)}</p><p class="sub"><code>${escapeHtml(code)}</code></p>`), status)
}
