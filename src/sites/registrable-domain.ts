import { getDomain, getPublicSuffix } from 'tldts'

const OPTIONS = { allowPrivateDomains: true }

/**
 * The registrable domain ("site") of a host, as browsers decide same-site:
 * `acme.com` for `auth.acme.com`, `shop.github.io` for itself (github.io is
 * a public suffix), `acme.localhost` for `auth.acme.localhost`.
 *
 * @example
 * ```ts
 * registrableDomain('forum.acme.co.uk') // 'acme.co.uk'
 * ```
 */
export function registrableDomain(host: string): string | null {
  return getDomain(host, OPTIONS)
}

/**
 * True when browsers refuse `Domain=<domain>` on a cookie because the
 * domain is a public suffix (`com`, `co.uk`, `github.io`, `localhost`).
 *
 * @example
 * ```ts
 * isPublicSuffix('co.uk') // true
 * ```
 */
export function isPublicSuffix(domain: string): boolean {
  return getPublicSuffix(domain, OPTIONS) === domain || getDomain(domain, OPTIONS) === null
}

/**
 * True when two origins are the same site for cookies (same scheme and
 * registrable domain): a `SameSite=Lax` cookie of one travels on requests
 * from the other.
 *
 * @example
 * ```ts
 * sameSite('https://auth.acme.com', 'https://forum.acme.com') // true
 * ```
 */
export function sameSite(a: string, b: string): boolean {
  const x = new URL(a)
  const y = new URL(b)
  return x.protocol === y.protocol && registrableDomain(x.hostname) !== null && registrableDomain(x.hostname) === registrableDomain(y.hostname)
}
