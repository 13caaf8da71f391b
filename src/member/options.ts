import { SharedSessionError } from '../errors/shared-session-error.js'
import { createEmitter, type Emitter } from '../events/emitter.js'
import { isSecureOrigin, type CookieSpec } from '../http/cookies.js'
import { HUB_SITE } from '../hub/options.js'
import type { KeyRing } from '../keys/key-ring.js'
import { sessionPolicy, type SessionPolicy } from '../sessions/policy.js'
import { parseOrigin, validateSites, type SiteConfig } from '../sites/config.js'
import { parsePrefix, parseTimeout } from '../sites/sharing.js'
import type { SessionStore } from '../stores/store.js'
import { tokenCookieName } from '../tokens/cookie-name.js'
import { createTokenVerifier } from '../tokens/verifier.js'
import { resolveMerge, type MergeData } from './merge.js'
import { firstPartyCookie, marksCookiesSecure, siteCookies, type SiteCookies } from '../sites/site-cookies.js'

/**
 * Options of {@link createMember}: the names and defaults of
 * django-shared-session where it had them (`alwaysReplace`, `timeout`).
 *
 * @example
 * ```ts
 * const options: MemberOptions = {
 *   site: 'shop-de', sites, hub: 'https://auth.acme.com', keys: ring, store,
 *   alwaysReplace: false, timeout: 30,
 * }
 * ```
 */
export interface MemberOptions {
  /** This site's name in `sites` (or `hub` for the hub's own pages). */
  site: string
  /** Every member site, as the hub has them. */
  sites: SiteConfig[]
  /** The hub's origin. */
  hub: string
  /** Path prefix the hub is mounted under, if any. */
  hubBasePath?: string
  /** The deployment's keys: members share the master secret with the hub. */
  keys: KeyRing
  /** The shared session store. */
  store: SessionStore
  /** Path prefix of this member's endpoints (push, accept, sync, logout). Default `/_session`. */
  prefix?: string
  /** Replace a live session on this site with an incoming one. Default false: only fill an empty site. */
  alwaysReplace?: boolean
  /** Seconds a handoff payload is accepted after it was made. Default 30. */
  timeout?: number
  /** Bounce top-level navigations without a session through the hub (`auto`, the default) or not (`never`). A sign-out goes through the hub either way. */
  bounce?: 'auto' | 'never'
  /** After a bounce brought no session back, do not bounce again for this long (seconds). Default 300. */
  retryAfterSeconds?: number
  /**
   * For members on the hub's parent domain: link the session named by the
   * hub's token cookie (`via: 'token'`) without any redirect. Give the
   * audience the hub signs for (its parent domain).
   */
  token?: { audience: string; issuer?: string }
  /**
   * When this site replaces an anonymous session by another (a sign-in, or
   * a session the hub made anew after its cookies were deleted), how the
   * anonymous data is carried over: `'fill'` (default: keys the adopted
   * session lacks), `'none'`, or a function returning the changes.
   */
  merge?: 'fill' | 'none' | MergeData
  /** Where adapters put the session on the request (`req[property]`). Default `session`; `sharedSession` beside express-session. */
  property?: string
  /** Session lifetimes (must match the hub's). */
  session?: Partial<SessionPolicy>
  /** An emitter to share (the hub passes its own, so one `events` sees everything). */
  events?: Emitter
  /**
   * The start-up self-check (`checkMember`): on by default, once,
   * `delayMs` (1000) after creation and in the background (it never delays
   * or fails a request, and keeps no process alive), logging one line per
   * problem through `log`. `false` turns it off (tests with a hub that is
   * not running). An explicit `checkMember(member)` before it runs replaces it.
   */
  selfCheck?: boolean | { delayMs?: number; timeoutMs?: number }
  now?: () => number
  log?: (message: string) => void
}

/** Everything the member's handlers need, validated once. */
export interface MemberContext {
  site: string
  origin: string
  hubOrigin: string
  /** Hub origin plus its base path: where pull, login and logout live. */
  hubBase: string
  prefix: string
  ring: KeyRing
  store: SessionStore
  policy: SessionPolicy
  /** name → origin of every site, the hub included. */
  origins: ReadonlyMap<string, string>
  /** origin → name of every site, the hub included. */
  names: ReadonlyMap<string, string>
  /** Origins a return URL may point at. */
  returnOrigins: ReadonlySet<string>
  /** Every site with member endpoints (not the hub: a session never enters the hub by push or pull). */
  memberSites: ReadonlySet<string>
  /** Sites the push loader sends this session to: every other member site. */
  pushTargets: readonly string[]
  alwaysReplace: boolean
  merge: MergeData
  property: string
  timeout: number
  bounce: 'auto' | 'never'
  retryAfterSeconds: number
  /** The push needs `SameSite=None`, which needs `Secure`, which needs a secure origin. */
  pushEnabled: boolean
  /** This site's session cookie and its `live` companion. */
  cookies: SiteCookies
  /** Base spec of the per-bounce state cookies (`ss-state-<k>`), which also record finished pulls. */
  state: CookieSpec
  /** The double-submit cookie behind `req.session.csrfToken()`. */
  csrf: CookieSpec
  /** Which session this site's pages last pushed, so the loader runs once per session, not per page view. */
  pushed: CookieSpec
  token: { cookie: string; verify: ReturnType<typeof createTokenVerifier> } | null
  /** When and how long the start-up self-check runs; null when off (and always for the hub's own pages). */
  selfCheck: { delayMs: number; timeoutMs: number } | null
  events: Emitter
  now: () => number
  log: (message: string) => void
}

/**
 * Validate member options once, at start-up, with messages that say what to fix.
 *
 * @example
 * ```ts
 * const ctx = resolveMemberOptions(options)
 * ```
 */
export function resolveMemberOptions(options: MemberOptions): MemberContext {
  const sites = validateSites(options.sites)
  const hubOrigin = parseOrigin(options.hub, 'hub')
  for (const field of ['keys', 'store'] as const) {
    if (!options[field]) throw invalid(`member option "${field}" is required`, field)
  }
  const origins = new Map<string, string>([[HUB_SITE, hubOrigin], ...sites.map((s) => [s.name, s.origin] as [string, string])])
  const origin = origins.get(options.site)
  if (!origin) {
    throw invalid(`site "${options.site}" is not in sites; add { name: "${options.site}", origin: "https://…" } or use one of: ${[...origins.keys()].join(', ')}`, 'site')
  }
  const prefix = parsePrefix(options.prefix)
  const timeout = parseTimeout(options.timeout)
  const retryAfterSeconds = options.retryAfterSeconds ?? 300
  if (!Number.isSafeInteger(retryAfterSeconds) || retryAfterSeconds < 1) throw invalid('retryAfterSeconds must be a positive whole number', 'retryAfterSeconds')
  const bounce = options.bounce ?? 'auto'
  if (bounce !== 'auto' && bounce !== 'never') throw invalid('bounce must be "auto" or "never"', 'bounce')
  const secure = isSecureOrigin(origin)
  const log = options.log ?? console.error
  return {
    site: options.site,
    origin,
    hubOrigin,
    hubBase: hubOrigin + (options.hubBasePath ?? '').replace(/\/+$/, ''),
    prefix,
    ring: options.keys,
    store: options.store,
    policy: sessionPolicy(options.session),
    origins,
    names: new Map([...origins].map(([name, o]) => [o, name])),
    returnOrigins: new Set(origins.values()),
    memberSites: new Set(sites.filter((s) => s.member !== false).map((s) => s.name)),
    pushTargets: sites.filter((s) => s.member !== false && s.name !== options.site).map((s) => s.name),
    alwaysReplace: options.alwaysReplace ?? false,
    merge: resolveMerge(options.merge),
    property: parseProperty(options.property),
    timeout,
    bounce,
    retryAfterSeconds,
    pushEnabled: secure,
    cookies: siteCookies(origin),
    state: firstPartyCookie(origin, 'ss-state', 'lax'),
    csrf: firstPartyCookie(origin, 'ss-csrf', 'strict'),
    pushed: firstPartyCookie(origin, 'ss-pushed', 'lax'),
    token: options.token
      ? { cookie: tokenCookieName(marksCookiesSecure(hubOrigin)), verify: createTokenVerifier({ audience: options.token.audience, issuer: options.token.issuer ?? hubOrigin }) }
      : null,
    selfCheck: options.site === HUB_SITE ? null : parseSelfCheck(options.selfCheck),
    events: options.events ?? createEmitter(log),
    now: options.now ?? Date.now,
    log,
  }
}

function parseSelfCheck(option: MemberOptions['selfCheck']): MemberContext['selfCheck'] {
  if (option === false) return null
  if (option === undefined || option === true) return { delayMs: 1000, timeoutMs: 3000 }
  if (typeof option !== 'object' || option === null) throw invalid('selfCheck must be true, false or { delayMs, timeoutMs }', 'selfCheck')
  const delayMs = option.delayMs ?? 1000
  const timeoutMs = option.timeoutMs ?? 3000
  if (!Number.isSafeInteger(delayMs) || delayMs < 0) throw invalid('selfCheck.delayMs must be a whole number of milliseconds, 0 or more', 'selfCheck')
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw invalid('selfCheck.timeoutMs must be a positive whole number of milliseconds', 'selfCheck')
  return { delayMs, timeoutMs }
}

function parseProperty(property: string | undefined): string {
  if (property === undefined) return 'session'
  if (typeof property !== 'string' || !/^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/.test(property)) throw invalid('property must be an identifier such as "session" or "sharedSession"', 'property')
  return property
}

function invalid(message: string, detail: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIG_INVALID', message, { detail })
}
