import type { KoaContextWithOIDC } from 'oidc-provider'
import type { RequestWithBody } from '../http/request-head.js'
import { hubSession } from '../hub/request.js'
import type { HubContext } from '../hub/options.js'
import type { GlobalSession } from '../sessions/session.js'
import type { OidcStorage } from './storage.js'

/**
 * The hub session of the browser behind a provider request, read with the
 * hub's own code from the hub's own cookie; once per request.
 *
 * @example
 * ```ts
 * const session = await hubSessionOf(hub, ctx)
 * if (!session?.user) return sendToLogin()
 * ```
 */
export function hubSessionOf(hub: HubContext, ctx: KoaContextWithOIDC): Promise<GlobalSession | null> {
  const state = ctx.state as { hubSession?: Promise<GlobalSession | null> }
  state.hubSession ??= hubSession(hub, koaRequest(ctx))
  return state.hubSession
}

function koaRequest(ctx: KoaContextWithOIDC): RequestWithBody {
  return { method: ctx.method, url: ctx.href, headers: { get: (name) => ctx.get(name) || null }, text: async () => '' }
}

/**
 * One app signed in within one hub session: what a back-channel logout
 * needs (client, `sid`, `sub`) and what to revoke (grant, provider session).
 *
 * @example
 * ```ts
 * const entry: SignedInApp = { clientId: 'grafana', sid, sub: 'u_42', grantId, providerSession: uid }
 * ```
 */
export interface SignedInApp {
  clientId: string
  sid: string
  sub: string
  grantId?: string
  providerSession: string
}

/**
 * Record that an app signed in within a hub session, so the end of that
 * session reaches it: the hub session's set of apps, the user's set of hub
 * sessions (for "sign out everywhere"), and the provider session's binding.
 *
 * @example
 * ```ts
 * await recordSignIn(storage, session, { clientId, sid, sub, grantId, providerSession: uid })
 * ```
 */
export async function recordSignIn(storage: OidcStorage, session: GlobalSession, app: SignedInApp): Promise<void> {
  const until = session.absoluteExpiresAt
  await storage.set(`binding:${app.providerSession}`, session.id, until)
  await storage.addToSet(`hub:${session.id}`, JSON.stringify(app), until)
  await storage.addToSet(`user:${app.sub}`, session.id, until)
  await storage.addToSet(WATCHED, session.id, until)
}

/** The set of hub sessions some app signed in within: the watcher checks each is still alive. */
export const WATCHED = 'hubs'

/**
 * The hub session a provider session was signed in with, or undefined.
 *
 * @example
 * ```ts
 * if ((await boundHubSession(storage, ctx.oidc.session.uid)) !== hub.id) return Check.REQUEST_PROMPT
 * ```
 */
export async function boundHubSession(storage: OidcStorage, providerSessionUid: string): Promise<string | undefined> {
  const id = await storage.get(`binding:${providerSessionUid}`)
  return typeof id === 'string' ? id : undefined
}

/**
 * Take (read and forget) the apps signed in within these hub sessions.
 *
 * @example
 * ```ts
 * for (const app of await takeSignedInApps(storage, [sessionId])) await notify(app)
 * ```
 */
export async function takeSignedInApps(storage: OidcStorage, hubSessionIds: string[]): Promise<SignedInApp[]> {
  const apps: SignedInApp[] = []
  for (const id of hubSessionIds) {
    for (const member of await storage.members(`hub:${id}`)) apps.push(JSON.parse(member) as SignedInApp)
    await storage.delete(`hub:${id}`)
    await storage.removeFromSet(WATCHED, id)
  }
  return apps
}
