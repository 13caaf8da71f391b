import { SharedSessionError } from '../errors/shared-session-error.js'
import { createEmitter, type Emitter } from '../events/emitter.js'
import type { CookieSpec } from '../http/cookies.js'
import type { KeyRing } from '../keys/key-ring.js'
import { sessionPolicy, type SessionPolicy } from '../sessions/policy.js'
import { parseOrigin, validateSites, type SiteConfig } from '../sites/config.js'
import { parsePrefix, parseTimeout } from '../sites/sharing.js'
import type { SessionStore } from '../stores/store.js'
import type { UserDirectory } from '../users/directory.js'
import { tokenCookieName } from '../tokens/cookie-name.js'
import { isPublicSuffix, registrableDomain } from '../sites/registrable-domain.js'
import { createTokenVerifier } from '../tokens/verifier.js'
import { createRateLimiter, createStoreRateLimiter, type RateLimit, type RateLimiter, type StoreRateLimiter } from './rate-limit.js'
import { firstPartyCookie, marksCookiesSecure, siteCookies, type SiteCookies } from '../sites/site-cookies.js'
import type { OidcOptions } from '../oidc/options.js'

/**
 * Options of {@link createHub}.
 *
 * @example
 * ```ts
 * const options: HubOptions = {
 *   origin: 'https://auth.acme.com', parentDomain: 'acme.com',
 *   keys: ring, store, users, sites: [{ name: 'forum', origin: 'https://forum.acme.com' }],
 * }
 * ```
 */
export interface HubOptions {
  /** The hub's public origin, e.g. `https://auth.acme.com`. */
  origin: string
  keys: KeyRing
  store: SessionStore
  users: UserDirectory
  /** Member sites; return URLs must be on one of these origins or the hub's. */
  sites?: SiteConfig[]
  /**
   * Parent domain for the signed token cookie read by subdomain members
   * (`acme.com` for `auth.acme.com` and `forum.acme.com`). Without it no
   * token cookie is set.
   */
  parentDomain?: string
  /** `iss` of login tokens. Default: the hub's origin. */
  issuer?: string
  /** `aud` of login tokens. Default: the parent domain, else the hub's origin. */
  audience?: string
  /** Login token lifetime in seconds. Default 900 (15 minutes). */
  tokenTtlSeconds?: number
  /** Session lifetimes. */
  session?: Partial<SessionPolicy>
  /** Path prefix when mounted inside another app, e.g. `/auth`. Default none. */
  basePath?: string
  /**
   * Failed sign-ins allowed per account and per client address in a window
   * (attempts in flight count as failures until they succeed; default 5 per
   * account and 20 per address per 15 minutes, counted in the store, so every
   * hub instance on it counts together), and anonymous sessions a pull may
   * create per address (default 60 per minute, in each hub process's memory).
   */
  rateLimit?: { perAccount?: RateLimit; perAddress?: RateLimit; anonymousPerAddress?: RateLimit }
  /** Read the client address from `X-Forwarded-For` (only behind a proxy you run). */
  trustProxy?: boolean
  /** Path prefix of the members' endpoints (sync, accept). Default `/_session`, as members have it. */
  prefix?: string
  /** Seconds a handoff payload is good for (django-shared-session's *timeout*). Default 30. */
  timeout?: number
  /** Share anonymous sessions: the pull creates one when the hub has none. Default true. */
  anonymous?: boolean
  /**
   * After login, walk the browser through every member in one redirect chain
   * so each links the new session even with third-party cookies blocked
   * (`redirect`, the default), or leave it to each member's next bounce (`none`).
   */
  loginWalk?: 'redirect' | 'none'
  /** Heading on the hub's pages. Default "Sign in". */
  title?: string
  /**
   * Forward-auth trusts a token cookie only once the hub has vouched for
   * its session in this browser (default true): any host under the parent
   * domain can set that cookie. The proxy maps the app's
   * `/_session/confirm` to the hub's `/forward-auth/confirm`, which records
   * the answer in a host-only cookie of the app's host. `false` trusts every
   * host under the parent domain. Bearer tokens need no confirmation.
   */
  confirmTokens?: boolean
  /**
   * Be an OpenID Connect provider (discovery, code + PKCE, refresh tokens,
   * userinfo, RP-initiated and back-channel logout) for these apps.
   */
  oidc?: OidcOptions
  /** Clock in milliseconds, for tests. */
  now?: () => number
  /** Where operational messages go. Default console.error. */
  log?: (message: string) => void
}

/** Everything the hub's handlers need, validated once at start-up. */
export interface HubContext {
  origin: string
  issuer: string
  audience: string
  basePath: string
  ring: KeyRing
  store: SessionStore
  users: UserDirectory
  policy: SessionPolicy
  sites: SiteConfig[]
  /** Origins a return URL may point at: the hub and every member. */
  returnOrigins: ReadonlySet<string>
  /** The hub's own site cookies (the hub is a site of its deployment too). */
  cookies: SiteCookies
  csrfCookie: CookieSpec
  tokenCookie: CookieSpec | null
  tokenTtlSeconds: number
  /** Sign-in failures per account, counted in the store (shared by every hub instance on it). */
  perAccount: StoreRateLimiter
  /** Sign-in failures per client address, counted in the store (shared by every hub instance on it). */
  perAddress: StoreRateLimiter
  /**
   * Anonymous sessions a pull may create per client address: a flood guard
   * in this process's memory (N instances allow N times as many; each such
   * session is small and gone in minutes unless a member takes it).
   */
  perAddressAnonymous: RateLimiter
  trustProxy: boolean
  prefix: string
  timeout: number
  anonymous: boolean
  /** Member sites the login walk visits, in order (empty when the walk is off). */
  walk: SiteConfig[]
  title: string
  /** Forward-auth confirms token cookies with the hub (see {@link HubOptions.confirmTokens}). */
  confirmTokens: boolean
  /** Verifies this hub's login tokens, with a cache of verified tokens (forward-auth is a hot path). */
  verifyToken: ReturnType<typeof createTokenVerifier>
  events: Emitter
  now: () => number
  log: (message: string) => void
}

/** The site name of the hub's own links to global sessions. */
export const HUB_SITE = 'hub'

/**
 * Validate hub options and derive the context, failing at start-up with a
 * message that says what to change.
 *
 * @example
 * ```ts
 * const ctx = resolveHubOptions(options)
 * ```
 */
export function resolveHubOptions(options: HubOptions): HubContext {
  const origin = parseOrigin(options.origin, 'origin')
  for (const field of ['keys', 'store', 'users'] as const) {
    if (!options[field]) throw invalid(`hub option "${field}" is required`, field)
  }
  if (options.keys.holdsPrivateKeys === false) throw invalid('the hub needs its full key configuration (master secret and private signing key); this key ring comes from a member configuration', 'keys')
  const sites = validateSites(options.sites)
  if (sites.some((s) => s.name === HUB_SITE)) throw invalid(`site name "${HUB_SITE}" is reserved for the hub`, 'sites')
  const secure = marksCookiesSecure(origin)
  const host = new URL(origin).hostname
  const parentDomain = options.parentDomain?.replace(/^\./, '').toLowerCase()
  if (parentDomain !== undefined && isPublicSuffix(parentDomain)) {
    throw invalid(`parentDomain "${parentDomain}" is a public suffix: browsers refuse cookies for it; use the domain your sites share, e.g. "${registrableDomain(host) ?? 'example.com'}"`, 'parentDomain')
  }
  if (parentDomain !== undefined && !host.endsWith(`.${parentDomain}`)) {
    throw invalid(`parentDomain "${parentDomain}" must be a parent of the hub's host "${host}" (e.g. "acme.com" for "auth.acme.com")`, 'parentDomain')
  }
  const basePath = (options.basePath ?? '').replace(/\/+$/, '')
  if (basePath !== '' && !/^\/[A-Za-z0-9._~/-]*$/.test(basePath)) throw invalid('basePath must look like "/auth"', 'basePath')
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 900
  if (!Number.isSafeInteger(tokenTtlSeconds) || tokenTtlSeconds < 30 || tokenTtlSeconds > 86_400) {
    throw invalid('tokenTtlSeconds must be a whole number from 30 to 86400', 'tokenTtlSeconds')
  }
  const prefix = parsePrefix(options.prefix)
  const timeout = parseTimeout(options.timeout)
  if (options.loginWalk !== undefined && options.loginWalk !== 'redirect' && options.loginWalk !== 'none') throw invalid('loginWalk must be "redirect" or "none"', 'loginWalk')
  const now = options.now ?? Date.now
  return {
    origin,
    issuer: options.issuer ?? origin,
    audience: options.audience ?? parentDomain ?? origin,
    basePath,
    ring: options.keys,
    store: options.store,
    users: options.users,
    policy: sessionPolicy(options.session),
    sites,
    returnOrigins: new Set([origin, ...sites.map((s) => s.origin)]),
    cookies: siteCookies(origin),
    csrfCookie: firstPartyCookie(origin, 'ss-csrf', 'strict'),
    tokenCookie: parentDomain === undefined ? null : { name: tokenCookieName(secure), secure, sameSite: 'lax', domain: parentDomain },
    tokenTtlSeconds,
    perAccount: createStoreRateLimiter(options.store, options.rateLimit?.perAccount ?? { max: 5, windowMs: 15 * 60_000 }, now),
    perAddress: createStoreRateLimiter(options.store, options.rateLimit?.perAddress ?? { max: 20, windowMs: 15 * 60_000 }, now),
    perAddressAnonymous: createRateLimiter(options.rateLimit?.anonymousPerAddress ?? { max: 60, windowMs: 60_000 }, now),
    trustProxy: options.trustProxy ?? false,
    prefix,
    timeout,
    anonymous: options.anonymous ?? true,
    walk: (options.loginWalk ?? 'redirect') === 'redirect' ? sites.filter((s) => s.member !== false) : [],
    title: options.title ?? 'Sign in',
    confirmTokens: options.confirmTokens ?? true,
    events: createEmitter(options.log ?? console.error),
    verifyToken: createTokenVerifier({ issuer: options.issuer ?? origin, audience: options.audience ?? parentDomain ?? origin }),
    now,
    log: options.log ?? console.error,
  }
}

function invalid(message: string, detail: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIG_INVALID', message, { detail })
}
