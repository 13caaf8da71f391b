import { SharedSessionError } from '../errors/shared-session-error.js'
import { SITE_NAME } from '../handoff/payload.js'

/**
 * A member site: its short name (used in payloads and links) and its
 * public origin (scheme, host, port; no path).
 *
 * @example
 * ```ts
 * const forum: SiteConfig = { name: 'forum', origin: 'https://forum.acme.com' }
 * ```
 */
export interface SiteConfig {
  name: string
  origin: string
  /**
   * False for a site that only reads the hub's token (a Flask app, an app
   * behind forward-auth): it has no member endpoints, so the login walk and
   * the push loader skip it. Default true.
   */
  member?: boolean
  /**
   * What you mean this site to be relative to the hub: `subdomain` (same
   * registrable domain, e.g. forum.acme.com beside auth.acme.com) or
   * `cross-site` (another domain). Optional; `shared-session doctor` checks
   * it against what browsers will actually do.
   */
  kind?: 'subdomain' | 'cross-site'
  /**
   * For a site that only reads the token: where the hub posts an OpenID
   * Connect Back-Channel Logout 1.0 logout token (`aud` = the site's name,
   * `sid` = the ended session, the `sid` of its login tokens) when a
   * session ends, so the app forgets it at once. e.g.
   * `https://forum.acme.com/auth/backchannel-logout`.
   */
  backchannelLogoutUri?: string
}

/**
 * Validate an origin from configuration and return it normalized
 * (`new URL(x).origin`), or throw with a message that says what to fix.
 *
 * @example
 * ```ts
 * parseOrigin('https://Auth.Acme.com/', 'hub origin') // 'https://auth.acme.com'
 * ```
 */
export function parseOrigin(value: unknown, field: string): string {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw invalid(`${field} ${JSON.stringify(value)} is not a URL; write it like "https://auth.example.com"`, field)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(`${field} must be http or https`, field)
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw invalid(`${field} must be an origin only (scheme, host, port), without path, query or credentials: "${url.origin}"`, field)
  }
  return url.origin
}

/**
 * Validate a list of sites: names match {@link SITE_NAME} and are unique,
 * origins are valid and unique.
 *
 * @example
 * ```ts
 * const sites = validateSites([{ name: 'forum', origin: 'http://forum.acme.localhost:4001' }])
 * ```
 */
export function validateSites(sites: unknown, field = 'sites'): SiteConfig[] {
  if (sites === undefined) return []
  if (!Array.isArray(sites)) throw invalid(`${field} must be a list of { name, origin }`, field)
  const names = new Set<string>()
  const origins = new Set<string>()
  return sites.map((site: Partial<SiteConfig>, i) => {
    const where = `${field}[${i}]`
    if (typeof site?.name !== 'string' || !SITE_NAME.test(site.name)) {
      throw invalid(`${where}.name must be a short lower-case name like "forum" (letters, digits, "-", ".")`, `${where}.name`)
    }
    const origin = parseOrigin(site.origin, `${where}.origin`)
    if (names.has(site.name)) throw invalid(`${where}.name "${site.name}" is used twice`, `${where}.name`)
    if (origins.has(origin)) throw invalid(`${where}.origin "${origin}" is used twice`, `${where}.origin`)
    names.add(site.name)
    origins.add(origin)
    if (site.member !== undefined && typeof site.member !== 'boolean') throw invalid(`${where}.member must be true or false`, `${where}.member`)
    if (site.kind !== undefined && site.kind !== 'subdomain' && site.kind !== 'cross-site') throw invalid(`${where}.kind must be "subdomain" or "cross-site"`, `${where}.kind`)
    const logoutUri = site.backchannelLogoutUri === undefined ? undefined : parseLogoutUri(site.backchannelLogoutUri, `${where}.backchannelLogoutUri`)
    return {
      name: site.name,
      origin,
      ...(site.member === false ? { member: false } : {}),
      ...(site.kind ? { kind: site.kind } : {}),
      ...(logoutUri ? { backchannelLogoutUri: logoutUri } : {}),
    }
  })
}

function parseLogoutUri(value: unknown, field: string): string {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw invalid(`${field} ${JSON.stringify(value)} is not a URL; write it like "https://forum.acme.com/auth/backchannel-logout"`, field)
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.hash) {
    throw invalid(`${field} must be an http(s) URL without credentials or fragment`, field)
  }
  return url.href
}

function invalid(message: string, detail: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIG_INVALID', message, { detail })
}
