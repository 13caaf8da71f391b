import { setSiteCookies } from '../sites/site-cookies.js'
import { redirect } from '../http/respond.js'
import type { ConnectionInfo } from '../adapters/node/listener.js'
import { linkSite } from '../sessions/link.js'
import { recordDevice } from '../sessions/device.js'
import { rotateSession } from '../sessions/rotate.js'
import type { SessionUser } from '../stores/store.js'
import { checkCsrf } from './csrf.js'
import { renderLoginForm } from './login-form.js'
import { HUB_SITE, type HubContext } from './options.js'
import { clientAddress, hubSession, readForm } from './request.js'
import { returnTo } from './return-to.js'
import { tokenCookieFor } from './token-cookie.js'
import { syncUrl } from './pull.js'
import type { RequestWithBody } from '../http/request-head.js'

/** The one message for every failed login: it never says which part was wrong. */
export const LOGIN_FAILED = 'Wrong username or password.'

/**
 * POST /login: check CSRF and rate limits, authenticate, rotate to a new
 * global session (carrying the anonymous data over), set the hub cookie and
 * the parent-domain token cookie, and go back to the return URL.
 *
 * @example
 * ```ts
 * if (path === '/login' && request.method === 'POST') return submitLogin(ctx, request, info)
 * ```
 */
export async function submitLogin(ctx: HubContext, request: RequestWithBody, info: ConnectionInfo): Promise<Response> {
  const form = await readForm(request)
  checkCsrf(ctx, request, form.get('csrf'), { origins: new Set([ctx.origin]), requireToken: true })
  const back = returnTo(ctx, form.get('return'))
  const username = (form.get('username') ?? '').trim().toLowerCase().slice(0, 128)
  const password = form.get('password') ?? ''
  const accountKey = `account:${username}`
  const addressKey = `address:${clientAddress(ctx, request, info.clientAddress)}`

  // Both limits count this attempt before the slow hash (as a failure until it succeeds), in the store that every
  // hub instance shares, so guesses sent at once, to any instance, are counted while in flight: 30 at once get
  // `max` evaluations, not 30. A refused attempt counts nowhere: the limit that did count it takes it back.
  const [accountWait, addressWait] = await Promise.all([ctx.perAccount.attempt(accountKey), ctx.perAddress.attempt(addressKey)])
  const wait = Math.max(accountWait, addressWait)
  if (wait > 0) {
    await Promise.all([accountWait === 0 && ctx.perAccount.forgive(accountKey), addressWait === 0 && ctx.perAddress.forgive(addressKey)])
    const minutes = Math.ceil(wait / 60_000)
    return renderLoginForm(ctx, request, {
      returnTo: back,
      username,
      status: 429,
      error: `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      headers: { 'retry-after': String(Math.ceil(wait / 1000)), 'x-error-code': 'ERR_RATE_LIMITED' },
    })
  }

  const user: unknown = await ctx.users.authenticate(username, password)
  if (!isUser(user)) {
    return renderLoginForm(ctx, request, { returnTo: back, username, status: 401, error: LOGIN_FAILED, headers: { 'x-error-code': 'ERR_LOGIN_FAILED' } })
  }
  // A success is no failure: forget this account's count, and take this attempt back from the address's.
  await Promise.all([ctx.perAccount.reset(accountKey), ctx.perAddress.forgive(addressKey)])

  const now = ctx.now()
  const previous = await hubSession(ctx, request)
  const session = await rotateSession(ctx.store, ctx.policy, previous?.id ?? null, { user: pickUser(user), now })
  // The session map ("Your sessions"): the device this sign-in came from.
  await recordDevice(ctx.store, session.id, { userAgent: request.headers.get('user-agent') ?? '', address: clientAddress(ctx, request, info.clientAddress) })
  const cookieValue = await linkSite(ctx.store, session, HUB_SITE, now, 'login')
  const cookies = setSiteCookies(ctx.cookies, cookieValue, (session.absoluteExpiresAt - now) / 1000, { pushed: false })
  const token = await tokenCookieFor(ctx, session)
  if (token) cookies.push(token)
  ctx.events.emit('login', { site: HUB_SITE, sessionId: session.id, user: session.user! })
  const landing = back ?? `${ctx.origin}${ctx.basePath}/`
  // The walk: every member links the new session now, in one redirect chain, whatever its cookie settings.
  const [first, ...rest] = ctx.walk
  const location = first ? syncUrl(ctx, first.origin, landing, rest.map((s) => s.name)) : landing
  return redirect(location, { 'set-cookie': cookies })
}

/** Only a real user object passes: not `true`, not a Promise, not a truthy string. */
function isUser(value: unknown): value is SessionUser {
  const u = value as SessionUser | null
  return typeof u === 'object' && u !== null && !('then' in u) && typeof u.sub === 'string' && u.sub !== '' && typeof u.username === 'string'
}

function pickUser(u: SessionUser): SessionUser {
  return { sub: u.sub, username: u.username, ...(u.email ? { email: u.email } : {}), ...(u.name ? { name: u.name } : {}) }
}
