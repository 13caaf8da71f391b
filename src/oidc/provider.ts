import { hkdfSync } from 'node:crypto'
import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider'
import type { ConnectionInfo } from '../adapters/node/listener.js'
import type { RequestWithBody } from '../http/request-head.js'
import type { HubContext } from '../hub/options.js'
import { clientAddress } from '../hub/request.js'
import { accountFinder } from './account.js'
import { oidcAdapter } from './adapter.js'
import { verifyClientSecret } from './clients.js'
import { createTokenGuard } from './token-guard.js'
import { runNodeHandler } from './node-bridge.js'
import { resolveOidcOptions, type OidcOptions, type ResolvedOidcOptions } from './options.js'
import { logoutPage, oidcErrorPage, signedOutPage } from './pages.js'
import { isSharedSessionError } from '../errors/shared-session-error.js'
import { boundHubSession, hubSessionOf } from './sessions.js'
import { handleInteraction, INTERACTION_PATH } from './sign-in.js'
import { afterProviderRoute, onHubLogout, watchEndedSessions } from './sign-out.js'
import { layout } from '../hub/pages/layout.js'
import { escapeHtml } from '../lib/html.js'

/**
 * The hub's OpenID Connect provider, mounted in the hub: discovery at
 * `/.well-known/openid-configuration`, everything else under `/oidc/`.
 *
 * @example
 * ```ts
 * const oidc = createOidc(hubContext, options.oidc)
 * if (oidc.handles(path)) return oidc.fetch(request, info)
 * ```
 */
export interface OidcMount {
  provider: Provider
  options: ResolvedOidcOptions
  handles(path: string): boolean
  /** Stop the background check for sessions that ended elsewhere. */
  close(): void
  fetch(request: RequestWithBody, info: ConnectionInfo): Promise<Response>
}

/** Where the provider's routes live under the hub (and its basePath). */
export const OIDC_PREFIX = '/oidc'

/**
 * Build the provider (panva's oidc-provider 8, certified, the last major for
 * Node 20) on the hub's keys, stores and sign-in:
 * authorization code with PKCE (S256 only, required for every client),
 * refresh tokens rotated on every use, userinfo, RP-initiated logout and
 * back-channel logout; `sub` is the hub's user id.
 *
 * @example
 * ```ts
 * const oidc = createOidc(ctx, { signingKey: config.keys.signingKeys[0], clients })
 * ```
 */
export function createOidc(hub: HubContext, options: OidcOptions): OidcMount {
  const resolved = resolveOidcOptions(options, hub.ring)
  const { storage, registry, signingKey } = resolved
  const alg = signingKey.alg
  const issuer = `${hub.origin}${hub.basePath}`
  const base = hub.basePath

  const loginPrompt = interactionPolicy.base()
  // An OIDC sign-in is a hub sign-in: the provider's session counts only while the hub session it was made in lives.
  loginPrompt.get('login')!.checks.add(
    new interactionPolicy.Check('hub_session', 'the hub session ended or changed', async (ctx) => {
      const { session } = ctx.oidc
      // Just signed in through the interaction (the hub session was checked there): never ask twice, never loop.
      if (!session?.accountId || ctx.oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT
      const current = await hubSessionOf(hub, ctx)
      if (!current?.user || current.user.sub !== session.accountId) return interactionPolicy.Check.REQUEST_PROMPT
      return (await boundHubSession(storage, session.uid)) === current.id ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT
    }),
    0,
  )

  const configuration: Configuration = {
    adapter: oidcAdapter(storage, registry, { idTokenAlg: alg }, hub.now),
    findAccount: accountFinder(storage),
    jwks: { keys: [{ ...signingKey, use: 'sig' } as never] },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    enabledJWA: { idTokenSigningAlgValues: [alg], userinfoSigningAlgValues: [alg], clientAuthSigningAlgValues: [] } as never,
    pkce: { methods: ['S256'], required: () => true },
    cookies: {
      keys: [Buffer.from(hkdfSync('sha256', hub.ring.state, Buffer.alloc(0), 'oidc cookies v1', 32)).toString('base64url')],
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
      names: { session: 'oidc-session', interaction: 'oidc-interaction', resume: 'oidc-resume' },
    },
    routes: {
      authorization: `${OIDC_PREFIX}/auth`,
      token: `${OIDC_PREFIX}/token`,
      userinfo: `${OIDC_PREFIX}/me`,
      end_session: `${OIDC_PREFIX}/session/end`,
      revocation: `${OIDC_PREFIX}/token/revocation`,
      // The hub serves its own JWKS; discovery points there.
      jwks: '/.well-known/jwks.json',
      code_verification: `${OIDC_PREFIX}/device`,
      device_authorization: `${OIDC_PREFIX}/device/auth`,
      introspection: `${OIDC_PREFIX}/token/introspection`,
      pushed_authorization_request: `${OIDC_PREFIX}/request`,
      registration: `${OIDC_PREFIX}/reg`,
      backchannel_authentication: `${OIDC_PREFIX}/backchannel`,
    },
    interactions: { url: (_ctx, interaction) => `${base}${INTERACTION_PATH}${interaction.uid}`, policy: loginPrompt },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.type = 'html'
          ctx.body = logoutPage(form, ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId ?? null)
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = 'html'
          ctx.body = signedOutPage()
        },
      },
    },
    ttl: {
      AccessToken: resolved.accessTokenTtlSeconds,
      IdToken: resolved.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: Math.ceil(hub.policy.absoluteTimeoutMs / 1000),
      Grant: resolved.refreshTokenTtlSeconds,
      RefreshToken: resolved.refreshTokenTtlSeconds,
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    async loadExistingGrant(ctx) {
      // Apps are registered by the operator, so they are trusted: no consent screen, exactly the scopes asked for.
      const { client, session } = ctx.oidc
      if (!client || !session?.accountId) return undefined
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId)
      const found = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined
      const grant = found && found.accountId === session.accountId ? found : new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId })
      const scopes = [...ctx.oidc.requestParamScopes].filter((s) => ['openid', 'profile', 'email', 'offline_access'].includes(s))
      if (scopes.length > 0) grant.addOIDCScope(scopes.join(' '))
      await grant.save()
      return grant
    },
    async renderError(ctx, out) {
      ctx.type = 'html'
      ctx.body = layout('Sign-in failed', `<h1>Sign-in failed</h1><p class="error" data-testid="error">${escapeHtml(String(out.error_description ?? out.error))}</p><p class="sub"><code>${escapeHtml(String(out.error))}</code></p><p class="sub">Go back to the app and start again.</p>`)
    },
  }

  const provider = new Provider(issuer, configuration)
  provider.proxy = true
  // Secrets are stored hashed: compare the presented one through its hash, in constant time.
  provider.Client.prototype.compareClientSecret = async function compare(this: { clientSecret?: string }, actual: string) {
    return verifyClientSecret(this.clientSecret, actual)
  }
  // Logout tokens go out from the hub's `logout` event (retried, never blocking); not from the provider's one-shot sender.
  provider.Client.prototype.backchannelLogout = async () => undefined
  provider.on('server_error', (ctx, err) => {
    // Our storage or store being down is a 503 with its code (set below), not the provider's generic 500.
    if (isSharedSessionError(err) && err.status === 503) (ctx.state as { unavailable?: unknown }).unavailable = err
    hub.log(`shared-session: oidc provider error: ${err.stack ?? err.message}`)
  })

  hub.events.on('logout', (event) => onHubLogout(hub, resolved, issuer, event))
  const watcher = watchEndedSessions(hub, resolved, issuer, resolved.watchIntervalMs)

  provider.use(async (ctx, next) => {
    try {
      if (ctx.path.startsWith(INTERACTION_PATH)) return await handleInteraction(hub, provider, resolved, ctx as KoaContextWithOIDC)
      await next()
      if ((ctx.state as { unavailable?: unknown }).unavailable) throw (ctx.state as { unavailable: unknown }).unavailable
      await afterProviderRoute(hub, resolved, ctx as KoaContextWithOIDC, watcher)
    } catch (err) {
      // The hub's own steps (its store, its session) fail like the hub does: a clear status and code, never a bare 500.
      const status = isSharedSessionError(err) ? err.status : 500
      if (status >= 500) hub.log(`shared-session: oidc: ${(err as Error).message}`)
      const code = isSharedSessionError(err) ? err.code : 'ERR_INTERNAL'
      const message = status === 503 ? 'The sign-in service is unavailable right now. Try again in a moment.' : 'The sign-in could not be completed.'
      ctx.status = status
      ctx.set('x-error-code', code)
      if (status === 503) ctx.set('retry-after', '5')
      if (ctx.accepts('json', 'html') === 'html') {
        ctx.type = 'html'
        ctx.body = await oidcErrorPage(code, message, status).text()
      } else {
        ctx.body = { error: status === 503 ? 'temporarily_unavailable' : 'server_error', error_description: message }
      }
    }
  })

  const callback = provider.callback()
  let warned = false
  const checkSigner = () => {
    // The ring can rotate in place (keys rotate + watchKeyRing); the provider's keys are fixed at start-up.
    if (warned || hub.ring.signer.kid === signingKey.kid) return
    warned = true
    hub.log(`shared-session: oidc: the hub now signs with "${hub.ring.signer.kid}" but ID tokens are still signed with "${signingKey.kid}" (still in the JWKS); restart the hub to switch`)
  }
  const guard = createTokenGuard(hub.now)
  return {
    provider,
    options: resolved,
    close: watcher.stop,
    handles(path) {
      return path === `${base}/.well-known/openid-configuration` || path.startsWith(`${base}${OIDC_PREFIX}/`)
    },
    async fetch(request, info) {
      checkSigner()
      const body = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text()
      const buffered: RequestWithBody = { method: request.method, url: request.url, headers: request.headers, text: async () => body }
      const isToken = new URL(request.url).pathname === `${base}${OIDC_PREFIX}/token` && request.method === 'POST'
      const address = clientAddress(hub, request, info.clientAddress)
      const limited = isToken ? guard.check(buffered, body, address) : null
      if (limited) return limited
      const response = await runNodeHandler(callback, buffered, { origin: hub.origin, mountPath: base, clientAddress: address })
      if (isToken) await guard.record(buffered, body, address, response)
      return response
    },
  }
}

