import type { MiddlewareCore, MiddlewareResult } from '../adapters/middleware.js'
import { SharedSessionError, isSharedSessionError } from '../errors/shared-session-error.js'
import { cookieCount, readCookie, setCookie, type CookieSpec } from '../http/cookies.js'
import { marksCookiesSecure } from '../sites/site-cookies.js'
import { errorResponse, json, redirect } from '../http/respond.js'
import { isTopLevelNavigation, type RequestHead } from '../http/request-head.js'
import type { VerificationKeys } from '../keys/verification-keys.js'
import { parseOrigin } from '../sites/config.js'
import type { LoginClaims } from '../tokens/claims.js'
import { hubRevocationCheck } from '../tokens/hub-revocation.js'
import { assertNotRevoked, type RevocationCheck } from '../tokens/revocation.js'
import { createTokenVerifier } from '../tokens/verifier.js'
import { tokenCookieName } from '../tokens/cookie-name.js'
import { createJwksClient, type JwksClient } from './jwks-client.js'
import { tokenStanding } from '../confirm/binding.js'
import { confirmCookies } from '../confirm/cookies.js'
import { finishConfirmation } from '../confirm/finish.js'
import { startConfirmation } from '../confirm/start.js'
import { verifyConfirmation } from '../confirm/verify.js'

/**
 * What the token consumer hands the app: the verified claims and the app's
 * own user for them (from `findOrCreateUser`), or nulls for a visitor who is
 * not signed in.
 *
 * @example
 * ```ts
 * app.get('/', (req, res) => res.send(req.auth.user ? `hi ${req.auth.claims.username}` : 'hi guest'))
 * ```
 */
export interface TokenAuth<U> {
  claims: LoginClaims | null
  user: U | null
}

/** Options of {@link createTokenConsumer}. */
export interface TokenConsumerOptions<U> {
  /** The hub's origin, e.g. `https://auth.acme.com`. */
  hub: string
  /** Path prefix the hub is mounted under, if any. */
  hubBasePath?: string
  /** This app's public origin; return URLs are built on it. */
  origin: string
  /** The token audience this app accepts (the hub's parent domain by default there). */
  audience: string
  /** Expected `iss`. Default: the hub's origin. */
  issuer?: string
  /** Keys: a JWKS client, fixed keys, or by default the hub's JWKS URL. */
  keys?: JwksClient | VerificationKeys
  /** Token cookie name. Default as the hub sets it (`__Secure-ss-token` on secure origins). */
  cookieName?: string
  /** Send visitors without a valid token to the hub's login (default true); false lets them in as guests. */
  requireLogin?: boolean
  /** Find or create this app's user for verified claims; key it by (`iss`, `sub`), never by e-mail alone. */
  findOrCreateUser?: (claims: LoginClaims) => Promise<U> | U
  /**
   * Reject tokens of logged-out sessions before `exp`. Default: ask the
   * hub's `/forward-auth` (`hubRevocationCheck`, answers kept 5 s; a hub
   * that cannot be asked is logged and the token trusted until its `exp`).
   * `storeRevocationCheck(store)` reads the store directly; `false` checks
   * nothing (a sign-out then reaches this app at the token's `exp`).
   */
  revocation?: RevocationCheck | false
  /** Where the default revocation check reaches the hub's forward-auth. Default `<hub>/forward-auth`. */
  revocationUrl?: string
  /** Where adapters put the result: `req.auth` by default. */
  property?: string
  now?: () => number
  /** Where operational messages go (a refused duplicate cookie). Default console.error. */
  log?: (message: string) => void
  /**
   * Confirm a token with the hub before trusting it in a browser (default
   * true): any host under the parent domain can set the token cookie, so
   * the first time a browser shows a token's session this app sends it
   * through the hub's `/confirm` once and records the answer in a host-only
   * cookie. `false` trusts every host under the parent domain.
   */
  confirm?: boolean
  /** The path of this app's confirmation callback. Default `/_session/confirm`. */
  confirmPath?: string
}

/**
 * The subdomain consumer: verifies the hub's token cookie against the hub's
 * JWKS (refetched once on an unknown `kid`), optionally checks revocation,
 * finds or creates the local user, and sends browsers to the hub when the
 * token is missing (`requireLogin`) or expired (to `/refresh`, which comes
 * straight back while the hub session lives). One core for every adapter.
 *
 * @example
 * ```ts
 * const consumer = createTokenConsumer({
 *   hub: 'https://auth.acme.com', origin: 'https://forum.acme.com', audience: 'acme.com',
 *   findOrCreateUser: (claims) => db.users.upsert({ iss: claims.iss, sub: claims.sub }, { name: claims.name }),
 * })
 * app.use(toExpress(consumer))
 * ```
 */
export function createTokenConsumer<U = LoginClaims>(options: TokenConsumerOptions<U>): MiddlewareCore<TokenAuth<U>> {
  const hub = parseOrigin(options.hub, 'hub')
  const origin = parseOrigin(options.origin, 'origin')
  if (typeof options.audience !== 'string' || options.audience === '') {
    throw new SharedSessionError('ERR_CONFIG_INVALID', 'audience is required: the hub\'s parent domain, e.g. "acme.com"', { detail: 'audience' })
  }
  const hubBase = `${hub}${(options.hubBasePath ?? '').replace(/\/+$/, '')}`
  const keys = options.keys ?? createJwksClient({ url: `${hubBase}/.well-known/jwks.json` })
  const cookieName = options.cookieName ?? tokenCookieName(marksCookiesSecure(hub))
  const requireLogin = options.requireLogin ?? true
  const now = options.now ?? Date.now
  const verifyOptions = { issuer: options.issuer ?? hub, audience: options.audience }
  const findOrCreate = options.findOrCreateUser ?? ((claims: LoginClaims) => claims as unknown as U)
  const anonymous: TokenAuth<U> = Object.freeze({ claims: null, user: null })

  const verifyWith = createTokenVerifier(verifyOptions)
  // Keys from the hub's JWKS are refetched once for a kid not seen yet (a rotation).
  const withKeys = async <T>(use: (keys: VerificationKeys) => Promise<T>): Promise<T> => {
    if (!isJwksClient(keys)) return use(keys)
    try {
      return await use(await keys.keys())
    } catch (err) {
      if (!isSharedSessionError(err, 'ERR_TOKEN_KEY_UNKNOWN')) throw err
      return use(await keys.refresh())
    }
  }
  const verify = (token: string): Promise<LoginClaims> => withKeys((k) => verifyWith(k, token, now()))
  const confirming = options.confirm ?? true
  const confirmPath = options.confirmPath ?? '/_session/confirm'
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(confirmPath)) {
    throw new SharedSessionError('ERR_CONFIG_INVALID', `confirmPath must be a path such as "/_session/confirm", got ${JSON.stringify(confirmPath)}`, { detail: 'confirmPath' })
  }
  const confirmNames = confirmCookies(marksCookiesSecure(hub))
  const log = options.log ?? console.error
  const revocation = options.revocation === false ? null : (options.revocation ?? hubRevocationCheck({ url: options.revocationUrl ?? `${hubBase}/forward-auth`, log }))
  /** The verified claims of the request's token cookie, or null (none, two, or not valid). */
  const tokenClaims = async (request: RequestHead): Promise<LoginClaims | null> => {
    const token = readCookie(request, cookieName)
    return token ? verify(token).catch(() => null) : null
  }

  return {
    property: options.property ?? 'auth',
    origin,
    async handle(request: RequestHead): Promise<MiddlewareResult<TokenAuth<U>>> {
      if (confirming && new URL(request.url).pathname === confirmPath) {
        try {
          const response = await finishConfirmation(request, {
            cookies: confirmNames,
            tokenSid: (await tokenClaims(request))?.sid ?? null,
            verify: (jwt, state) => withKeys((k) => verifyConfirmation(k, jwt, { issuer: verifyOptions.issuer, audience: origin, nonce: state, now: now() })),
          })
          return { value: anonymous, response }
        } catch (err) {
          return { value: anonymous, response: errorResponse(err, log, request) }
        }
      }
      const token = readCookie(request, cookieName)
      // Two token cookies (one tossed by a sibling host under the parent domain) are no credential:
      // the browser's order decides nothing here.
      if (!token && cookieCount(request, cookieName) > 1) log(`shared-session: ERR_COOKIE_DUPLICATE: two ${cookieName} cookies in one request; neither is used`)
      let expired = false
      let unconfirmed = false
      if (token) {
        try {
          const claims = await verify(token)
          if (revocation) await assertNotRevoked(claims, revocation, now(), token)
          const standing = confirming ? tokenStanding(request, confirmNames, claims.sid) : 'confirmed'
          if (standing === 'confirmed') return { value: { claims, user: await findOrCreate(claims) } }
          // Not vouched for by the hub in this browser: ask once; a token the hub refused is no login.
          unconfirmed = standing === 'unconfirmed'
        } catch (err) {
          // Bad input is "not signed in"; a hub or store that is down is not.
          if (!isSharedSessionError(err) || err.status >= 500) throw err
          expired = err.code === 'ERR_TOKEN_EXPIRED'
        }
      }
      if (unconfirmed) {
        // Never a loop: the answer is recorded for this very token, so the same token never asks again
        // (a second tab on its way at the same time shares the first one's state).
        if (isTopLevelNavigation(request, { crawlers: true })) {
          const url = new URL(request.url)
          const inFlight = readCookie(request, confirmNames.state.name)
          return { value: anonymous, response: startConfirmation({ hubBase, origin, callbackPath: confirmPath, back: url.pathname + url.search, cookies: confirmNames, inFlight }) }
        }
        if (requireLogin) return { value: anonymous, response: json({ error: 'ERR_TOKEN_UNCONFIRMED' }, 401, { 'cache-control': 'no-store' }) }
        return { value: anonymous }
      }
      if (!requireLogin && !expired) return { value: anonymous }
      // Never a loop: a browser that comes back from the hub still without an
      // acceptable token (clock skew, wrong audience, cookies off) is not sent again.
      if (isTopLevelNavigation(request) && readCookie(request, BOUNCE_COOKIE.name) === undefined) {
        const back = origin + new URL(request.url).pathname + new URL(request.url).search
        const optional = requireLogin ? '' : '&optional=1'
        const marker = setCookie(BOUNCE_COOKIE, '1', BOUNCE_SECONDS)
        return { value: anonymous, response: redirect(`${hubBase}/refresh?return=${encodeURIComponent(back)}${optional}`, { 'set-cookie': [marker] }, 302) }
      }
      return requireLogin ? { value: anonymous, response: json({ error: 'ERR_NOT_AUTHENTICATED' }, 401, { 'cache-control': 'no-store' }) } : { value: anonymous }
    },
  }
}

/** Marks "sent to the hub just now"; it outlives one round trip through the hub and no more. */
const BOUNCE_COOKIE: CookieSpec = { name: 'ss-token-bounce', secure: false, sameSite: 'lax' }
const BOUNCE_SECONDS = 20

function isJwksClient(keys: JwksClient | VerificationKeys): keys is JwksClient {
  return typeof (keys as JwksClient).refresh === 'function'
}
