import type { ConnectionInfo } from '../adapters/node/listener.js'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { RequestWithBody } from '../http/request-head.js'
import { html, redirect } from '../http/respond.js'
import { describeUserAgent } from '../lib/user-agent.js'
import { unlinkHeldSite } from '../sessions/destroy.js'
import { recordDevice } from '../sessions/device.js'
import { mapUserSessions, type MappedSession } from '../sessions/map.js'
import type { GlobalSession } from '../sessions/session.js'
import { touchSession } from '../sessions/touch.js'
import { checkCsrf, csrfForForm } from './csrf.js'
import { endHubSession, signedOutCookies } from './end-session.js'
import { HUB_SITE, type HubContext } from './options.js'
import { sessionsPage, type DeviceRow } from './pages/sessions-page.js'
import { clientAddress, hubSession, readForm } from './request.js'

/**
 * GET /sessions: "Your sessions", the signed-in user's devices and, per
 * device, the sites that hold its session and how they got it. Without a
 * signed-in session, the sign-in page (coming back here).
 *
 * @example
 * ```ts
 * if (path === '/sessions' && request.method === 'GET') return showSessions(ctx, request, info)
 * ```
 */
export async function showSessions(ctx: HubContext, request: RequestWithBody, info: ConnectionInfo): Promise<Response> {
  const session = await hubSession(ctx, request)
  if (!session?.user) return toSignIn(ctx)
  const now = ctx.now()
  await touchSession(ctx.store, ctx.policy, session, now)
  let map = await mapUserSessions(ctx.store, session.user.sub, now)
  // A session signed in before devices were recorded: this request is that device.
  if (map.find((m) => m.session.id === session.id)?.device === null) {
    await recordDevice(ctx.store, session.id, { userAgent: request.headers.get('user-agent') ?? '', address: clientAddress(ctx, request, info.clientAddress) })
    map = await mapUserSessions(ctx.store, session.user.sub, now)
  }
  const { token, cookie } = csrfForForm(ctx, request)
  const devices = map.map((m) => deviceRow(ctx, m, session)).sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeen - a.lastSeen)
  const page = sessionsPage({ title: ctx.title, user: session.user, base: ctx.basePath, csrf: token, devices, now })
  return html(page, 200, cookie ? { 'set-cookie': [cookie] } : {})
}

/**
 * POST /sessions/end (`session`: a device's reference from the page): sign
 * that device out, as a logout there would (the same `logout` event and
 * notifications). Only the signed-in user's own sessions can be named; the
 * form must come from the hub's own page with its CSRF token.
 *
 * @example
 * ```ts
 * if (path === '/sessions/end' && request.method === 'POST') return endDevice(ctx, request)
 * ```
 */
export async function endDevice(ctx: HubContext, request: RequestWithBody): Promise<Response> {
  const { session, form, map } = await ownSessions(ctx, request)
  if (!session) return toSignIn(ctx)
  const target = pick(map, form.get('session'))
  await endHubSession(ctx, target.session, { everywhere: false })
  if (target.session.id === session.id) return redirect(`${ctx.basePath}/login`, { 'set-cookie': signedOutCookies(ctx) })
  return redirect(`${ctx.basePath}/sessions`)
}

/**
 * POST /sessions/end-site (`session` and `site`: references from the page):
 * sign one site out on one device. The session and its other sites live on;
 * that site finds no session on its next request.
 *
 * @example
 * ```ts
 * if (path === '/sessions/end-site' && request.method === 'POST') return endSite(ctx, request)
 * ```
 */
export async function endSite(ctx: HubContext, request: RequestWithBody): Promise<Response> {
  const { session, form, map } = await ownSessions(ctx, request)
  if (!session) return toSignIn(ctx)
  const target = pick(map, form.get('session'))
  const ref = form.get('site')
  const held = target.sites.find((s) => s.ref === ref)
  if (!held) throw new SharedSessionError('ERR_SESSION_NOT_FOUND', 'that site does not hold this session (signed out already?)', { detail: 'site' })
  await unlinkHeldSite(ctx.store, target.session.id, held.hash)
  return redirect(`${ctx.basePath}/sessions`)
}

/** The checked form, the signed-in session and its user's session map; CSRF first, before anything is read. */
async function ownSessions(ctx: HubContext, request: RequestWithBody): Promise<{ session: GlobalSession | null; form: URLSearchParams; map: MappedSession[] }> {
  const form = await readForm(request)
  checkCsrf(ctx, request, form.get('csrf'), { origins: new Set([ctx.origin]), requireToken: true })
  const session = await hubSession(ctx, request)
  if (!session?.user) return { session: null, form, map: [] }
  return { session, form, map: await mapUserSessions(ctx.store, session.user.sub, ctx.now()) }
}

/** The user's own session with this reference; anything else (another user's, a guess, a gone one) is not found. */
function pick(map: MappedSession[], ref: string | null): MappedSession {
  const target = map.find((m) => m.ref === ref)
  if (!target) throw new SharedSessionError('ERR_SESSION_NOT_FOUND', 'no such session of yours (signed out already?)', { detail: 'session' })
  return target
}

function deviceRow(ctx: HubContext, m: MappedSession, current: GlobalSession): DeviceRow {
  const described = describeUserAgent(m.device?.userAgent)
  return {
    ref: m.ref,
    current: m.session.id === current.id,
    label: m.device ? described.label : 'Unknown device',
    browser: described.browser,
    address: m.device?.address ?? null,
    firstSeen: m.session.createdAt,
    lastSeen: m.session.lastSeenAt,
    sites: m.sites.map((s) => ({ ref: s.ref, site: s.site, host: hostOf(ctx, s.site), via: s.via, at: s.at })),
  }
}

function hostOf(ctx: HubContext, site: string): string | null {
  const origin = site === HUB_SITE ? ctx.origin : ctx.sites.find((s) => s.name === site)?.origin
  return origin ? new URL(origin).host : null
}

function toSignIn(ctx: HubContext): Response {
  return redirect(`${ctx.basePath}/login?${new URLSearchParams({ return: `${ctx.origin}${ctx.basePath}/sessions` })}`)
}
