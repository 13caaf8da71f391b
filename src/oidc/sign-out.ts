import type { KoaContextWithOIDC } from 'oidc-provider'
import type { SessionEvents } from '../events/emitter.js'
import { clearCookie } from '../http/cookies.js'
import { HUB_SITE, type HubContext } from '../hub/options.js'
import { endSession } from '../sessions/destroy.js'
import { clearSiteCookies } from '../sites/site-cookies.js'
import { revokeGrant, destroyByUid } from './adapter.js'
import { deliverLogoutToken, signLogoutToken } from './backchannel-logout.js'
import type { ResolvedOidcOptions } from './options.js'
import { logoutPage } from './pages.js'
import { escapeHtml } from '../lib/html.js'
import { hubSessionOf, recordSignIn, takeSignedInApps, WATCHED } from './sessions.js'

/**
 * What the hub adds after a provider route has answered:
 * - an authorization that issued a code records which app signed in within
 *   which hub session (and with which `sid`), for the sign-out to reach it;
 * - a confirmed RP-initiated logout ends the hub session too (so every
 *   member sees it gone), clears the hub's cookies and fires the hub's
 *   `logout` event, which sends the back-channel logout tokens.
 *
 * @example
 * ```ts
 * provider.use(async (ctx, next) => { await next(); await afterProviderRoute(hub, options, ctx) })
 * ```
 */
export async function afterProviderRoute(hub: HubContext, options: ResolvedOidcOptions, ctx: KoaContextWithOIDC, watcher: { wake(): void }): Promise<void> {
  const route = ctx.oidc?.route
  if ((route === 'authorization' || route === 'resume') && ctx.oidc.entities.AuthorizationCode) {
    const { session, client } = ctx.oidc
    const current = await hubSessionOf(hub, ctx)
    if (!session?.accountId || !client || current?.user?.sub !== session.accountId) return
    await recordSignIn(options.storage, current, {
      clientId: client.clientId,
      sid: session.sidFor(client.clientId),
      sub: session.accountId,
      ...(session.grantIdFor(client.clientId) ? { grantId: session.grantIdFor(client.clientId) } : {}),
      providerSession: session.uid,
    })
    watcher.wake()
    return
  }
  if (route === 'end_session' && ctx.method === 'GET' && !ctx.oidc.session?.accountId && ctx.oidc.session?.state?.secret) {
    // With no provider session, oidc-provider would post the logout form by script, unasked. But ending
    // the hub session signs the person out of every site: a page elsewhere must not do that without them.
    if ((await hubSessionOf(hub, ctx))?.user) {
      const action = escapeHtml((ctx.oidc as unknown as { urlFor(name: string): string }).urlFor('end_session_confirm'))
      const form = `<form id="op.logoutForm" method="post" action="${action}"><input type="hidden" name="xsrf" value="${escapeHtml(String(ctx.oidc.session.state.secret))}"/></form>`
      ctx.type = 'html'
      ctx.body = logoutPage(form, ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? null)
    }
    return
  }
  if (route === 'end_session_confirm' && ctx.status === 303) {
    const current = await hubSessionOf(hub, ctx)
    if (current) {
      await endSession(hub.store, current, { everywhere: false })
      hub.events.emit('logout', { site: HUB_SITE, sessionId: current.id, user: current.user, everywhere: false })
    }
    const cookies = clearSiteCookies(hub.cookies)
    if (hub.tokenCookie) cookies.push(clearCookie(hub.tokenCookie))
    ctx.append('set-cookie', cookies)
  }
}

/**
 * The hub's `logout` listener: the session(s) that ended — all of the
 * user's with "everywhere" — reach every app signed in within them.
 *
 * @example
 * ```ts
 * hub.events.on('logout', (event) => onHubLogout(hub, options, issuer, event))
 * ```
 */
export async function onHubLogout(hub: HubContext, options: ResolvedOidcOptions, issuer: string, event: SessionEvents['logout']): Promise<void> {
  const { storage } = options
  const ids = event.everywhere && event.user ? [event.sessionId, ...(await storage.members(`user:${event.user.sub}`))] : [event.sessionId]
  if (event.everywhere && event.user) await storage.delete(`user:${event.user.sub}`)
  await notifyApps(hub, options, issuer, [...new Set(ids)])
}

/**
 * For every app signed in within these ended hub sessions: revoke its grant
 * (so refresh tokens die too), forget the provider session, and post a
 * signed logout token to its `backchannel_logout_uri`, retried. Resolves when
 * every delivery has succeeded or given up; callers never wait for it.
 *
 * @example
 * ```ts
 * void notifyApps(hub, options, issuer, [sessionId])
 * ```
 */
export async function notifyApps(hub: HubContext, options: ResolvedOidcOptions, issuer: string, hubSessionIds: string[]): Promise<void> {
  const { storage, registry } = options
  const apps = await takeSignedInApps(storage, hubSessionIds)
  const sent = new Set<string>()
  const deliveries: Promise<boolean>[] = []
  for (const app of apps) {
    if (app.grantId) await revokeGrant(storage, app.grantId)
    await destroyByUid(storage, 'Session', app.providerSession)
    const once = `${app.clientId} ${app.sid}`
    if (sent.has(once)) continue
    sent.add(once)
    const client = await registry.find(app.clientId)
    if (!client?.backchannelLogoutUri) continue
    const token = await signLogoutToken(hub.ring, { issuer, clientId: app.clientId, sub: app.sub, sid: app.sid, now: hub.now() })
    deliveries.push(deliverLogoutToken(client.backchannelLogoutUri, token, options.backchannel, hub.log))
  }
  await Promise.all(deliveries)
}

/**
 * Sessions also end where the hub hears no event: a sign-out at a member
 * in another process, `shared-session sessions revoke`, expiry. While some
 * app is signed in within a live hub session, the hub checks those sessions
 * every `intervalMs` and notifies the apps of the ones that are gone. The
 * timer runs only while there is something to watch (`wake()` after a
 * sign-in), and never keeps the process alive.
 *
 * @example
 * ```ts
 * const watcher = watchEndedSessions(hub, options, issuer, 5000)
 * watcher.wake() // after an app signed in
 * ```
 */
export function watchEndedSessions(hub: HubContext, options: ResolvedOidcOptions, issuer: string, intervalMs: number): { wake(): void; stop(): void } {
  let timer: NodeJS.Timeout | null = null
  let running = false
  let failing = false
  const stop = () => {
    if (timer) clearInterval(timer)
    timer = null
  }
  const tick = async () => {
    const watched = await options.storage.members(WATCHED)
    const ended: string[] = []
    for (const id of watched) {
      if (!(await hub.store.getSession(id, hub.now()))) ended.push(id)
    }
    if (ended.length > 0) await notifyApps(hub, options, issuer, ended)
    if (watched.length === ended.length) stop()
    failing = false
  }
  return {
    wake() {
      if (timer) return
      timer = setInterval(() => {
        if (running) return
        running = true
        tick()
          .catch((err: Error) => {
            // A store that is down is logged once; the check resumes when it is back.
            if (!failing) hub.log(`shared-session: oidc: cannot check for ended sessions: ${err.message}`)
            failing = true
          })
          .finally(() => {
            running = false
          })
      }, intervalMs)
      timer.unref()
    },
    stop,
  }
}
