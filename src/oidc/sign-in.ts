import type Provider from 'oidc-provider'
import type { KoaContextWithOIDC } from 'oidc-provider'
import type { HubContext } from '../hub/options.js'
import { rememberAccount } from './account.js'
import type { ResolvedOidcOptions } from './options.js'
import { oidcErrorPage } from './pages.js'
import { hubSessionOf } from './sessions.js'

/** The provider sends the browser here (then `<uid>`) when it needs a sign-in. */
export const INTERACTION_PATH = '/oidc/interaction/'

/**
 * GET /oidc/interaction/<uid>: the glue between the provider and the hub's
 * sign-in. With a signed-in hub session, the sign-in is done (no second
 * password prompt); without one, or when the app demands a fresh sign-in
 * (`prompt=login`, `max_age`), the browser goes to the hub's own /login with
 * this address to come back to, so that login rotates the session and
 * reaches the members as every hub login does.
 *
 * @example
 * ```ts
 * if (ctx.path.startsWith(INTERACTION_PATH)) return handleInteraction(hub, provider, options, ctx)
 * ```
 */
export async function handleInteraction(hub: HubContext, provider: Provider, options: ResolvedOidcOptions, ctx: KoaContextWithOIDC): Promise<void> {
  const uid = ctx.path.slice(INTERACTION_PATH.length)
  if (ctx.method !== 'GET' || !/^[A-Za-z0-9_-]{1,64}$/.test(uid)) return answer(ctx, oidcErrorPage('ERR_NOT_FOUND', 'There is no such sign-in step.', 404))
  let details: Awaited<ReturnType<Provider['interactionDetails']>>
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res)
  } catch {
    return answer(ctx, oidcErrorPage('ERR_OIDC_INTERACTION', 'This sign-in has expired or was started in another browser.', 400))
  }
  if (details.uid !== uid) return answer(ctx, oidcErrorPage('ERR_OIDC_INTERACTION', 'This sign-in has expired or was started in another browser.', 400))

  const session = await hubSessionOf(hub, ctx)
  const reasons = details.prompt.reasons
  let mustSignIn = !session?.user
  const maxAge = details.params.max_age === undefined ? Number.NaN : Number(details.params.max_age)
  const tooOld = session !== null && Number.isSafeInteger(maxAge) && maxAge >= 0 && hub.now() - session.createdAt > maxAge * 1000
  if (!mustSignIn && (reasons.includes('login_prompt') || tooOld)) {
    // The app wants a sign-in made now. The hub's login starts a new session, so a session created after
    // this step first sent the browser to the login form is one; anything older is not.
    const key = `reauth:${uid}`
    const sentAt = await options.storage.get(key)
    mustSignIn = typeof sentAt !== 'number' || session!.createdAt <= sentAt
    if (typeof sentAt !== 'number') await options.storage.set(key, hub.now(), hub.now() + 600_000)
  }
  if (mustSignIn) {
    const back = `${hub.origin}${hub.basePath}${INTERACTION_PATH}${uid}`
    ctx.status = 303
    ctx.set('cache-control', 'no-store')
    return ctx.redirect(`${hub.basePath}/login?return=${encodeURIComponent(back)}`)
  }
  const user = session!.user!
  await rememberAccount(options.storage, user, hub.now() + options.refreshTokenTtlSeconds * 1000)
  const to = await provider.interactionResult(
    ctx.req,
    ctx.res,
    { login: { accountId: user.sub, ts: Math.floor(session!.createdAt / 1000), remember: true } },
    { mergeWithLastSubmission: false },
  )
  ctx.status = 303
  ctx.set('cache-control', 'no-store')
  ctx.redirect(to)
}

async function answer(ctx: KoaContextWithOIDC, response: Response): Promise<void> {
  ctx.status = response.status
  ctx.type = 'html'
  ctx.body = await response.text()
}
