import { isSharedSessionError } from '../errors/shared-session-error.js'
import { isSecureOrigin } from '../http/cookies.js'
import { loadKeyRing } from '../keys/key-ring.js'
import { parseMasterSecret } from '../keys/secret.js'
import { isPublicSuffix, registrableDomain, sameSite } from '../sites/registrable-domain.js'
import { parseOrigin, validateSites } from '../sites/config.js'
import type { DeploymentConfig } from './config-file.js'
import { checkStoreSetting } from './open-store.js'

/**
 * One thing the doctor found: the setting, what a browser will do about it,
 * and what to change. `error` breaks sharing or security; `warning` works
 * but is worth fixing.
 *
 * @example
 * ```ts
 * const finding: Finding = { level: 'error', setting: 'hub.parentDomain', problem: '…', fix: '…' }
 * ```
 */
export interface Finding {
  level: 'error' | 'warning'
  setting: string
  problem: string
  fix: string
}

/**
 * Explain every setting that would make a browser silently drop a cookie or
 * break sharing: a parent domain that is a public suffix or does not contain
 * the hub, http off localhost (no `Secure`, so no `SameSite=None`, so no
 * push), sites configured as cross-site that are same-site or the reverse,
 * weak or broken keys.
 *
 * @example
 * ```ts
 * for (const f of await diagnose(readConfig('shared-session.json'))) console.log(f.level, f.setting, f.problem, f.fix)
 * ```
 */
export async function diagnose(config: DeploymentConfig): Promise<Finding[]> {
  const findings: Finding[] = []
  const add = (level: Finding['level'], setting: string, problem: string, fix: string) => findings.push({ level, setting, problem, fix })

  let hubOrigin: string | null = null
  try {
    hubOrigin = parseOrigin(config.hub?.origin, 'hub.origin')
  } catch (err) {
    add('error', 'hub.origin', (err as Error).message, 'set hub.origin to the hub\'s public origin, e.g. "https://auth.example.com"')
  }
  if (hubOrigin) checkOrigin(hubOrigin, 'hub.origin', add)

  const parent = config.hub?.parentDomain?.replace(/^\./, '').toLowerCase()
  if (parent !== undefined && hubOrigin) {
    const host = new URL(hubOrigin).hostname
    if (isPublicSuffix(parent)) {
      add('error', 'hub.parentDomain', `"${parent}" is a public suffix: browsers refuse a cookie with Domain=${parent}, so no subdomain member ever sees the token`, `use the registrable domain the sites share, e.g. "${registrableDomain(host) ?? 'example.com'}"`)
    } else if (host !== parent && !host.endsWith(`.${parent}`)) {
      add('error', 'hub.parentDomain', `"${parent}" does not contain the hub's host "${host}": browsers refuse a cookie for a domain the page is not on`, `use a parent of ${host}, e.g. "${registrableDomain(host) ?? host}"`)
    }
  }

  let sites: ReturnType<typeof validateSites> = []
  try {
    sites = validateSites(config.sites)
  } catch (err) {
    add('error', 'sites', (err as Error).message, 'give every site a unique name and origin')
  }
  for (const [i, site] of sites.entries()) {
    const setting = `sites[${i}] (${site.name})`
    checkOrigin(site.origin, `${setting}.origin`, add)
    if (!hubOrigin) continue
    const actual = sameSite(site.origin, hubOrigin) ? 'subdomain' : 'cross-site'
    if (site.kind && site.kind !== actual) {
      add(
        'error',
        `${setting}.kind`,
        actual === 'subdomain'
          ? `configured as cross-site, but ${new URL(site.origin).hostname} is the same site as the hub (${registrableDomain(new URL(hubOrigin).hostname)}): it can read the hub's token cookie and needs no push`
          : `configured as a subdomain, but ${new URL(site.origin).hostname} is another site than the hub: the parent-domain token cookie never reaches it, only push and pull do`,
        `set kind to "${actual}", or move the site to the domain you meant`,
      )
    }
    if (parent && actual === 'subdomain' && site.member === false) {
      const host = new URL(site.origin).hostname
      if (host !== parent && !host.endsWith(`.${parent}`)) add('error', `${setting}.origin`, `reads the token cookie, but is not under the parent domain ${parent}`, `put it under ${parent} or change hub.parentDomain`)
    }
    if (actual === 'cross-site' && site.member === false) {
      add('error', `${setting}.member`, 'a token-only site on another domain never receives the parent-domain token cookie', 'run shared-session member middleware there (member: true), or put the site under the hub\'s parent domain')
    }
  }

  try {
    parseMasterSecret(config.keys?.secret, 'keys.secret')
  } catch (err) {
    add('error', 'keys.secret', (err as Error).message, 'run `shared-session keys rotate --secret` (or set SHARED_SESSION_SECRET to 32 random bytes, base64url)')
  }
  try {
    await loadKeyRing(config.keys)
  } catch (err) {
    if (!isSharedSessionError(err, 'ERR_KEY_WEAK') || !/keys\.secret/.test(err.message)) {
      add('error', 'keys.signingKeys', (err as Error).message, 'run `shared-session keys rotate` to add a fresh signing key')
    }
  }
  if (sites.length === 0 && !findings.some((f) => f.setting === 'sites')) {
    add('warning', 'sites', 'no sites are configured: the hub signs people in, but no other app shares the session', 'add each app with `shared-session sites add <name> <origin>` (add --no-member for an app that only reads the token)')
  }
  if (hubOrigin && sites.length > 0) {
    const hubDomain = registrableDomain(new URL(hubOrigin).hostname)
    if (hubDomain && !sites.some((s) => sameSite(s.origin, hubOrigin))) {
      add(
        'warning',
        'hub.origin',
        `no site on the hub's domain ${hubDomain}: visitors only pass through the hub in redirects, and tracking protection (Safari, Firefox, Brave) deletes the cookies of a domain people bounce through without using it, so they are asked to sign in again every few days`,
        `put the hub on a subdomain of a site people use, e.g. https://auth.${registrableDomain(new URL(sites[0]!.origin).hostname) ?? 'example.com'} beside ${sites[0]!.origin}, or add a site people visit on ${hubDomain}`,
      )
    }
  }
  let storeKind: string | undefined
  try {
    storeKind = checkStoreSetting(config.store)
  } catch (err) {
    add('error', 'store', (err as Error).message, 'use sqlite:<path> (one machine), redis://… or { "url": "redis://…", "prefix": "…" } (many instances), postgres://…')
  }
  if (storeKind === 'memory') add('warning', 'store', 'the memory store forgets every session on restart and is not shared between processes', 'use sqlite:<path> (one machine) or redis://… (many instances)')
  return findings
}

function checkOrigin(origin: string, setting: string, add: (level: Finding['level'], setting: string, problem: string, fix: string) => void): void {
  if (isSecureOrigin(origin)) return
  add(
    'error',
    setting,
    `${origin} is plain http on a public host: cookies cannot be Secure there, so browsers drop the push's SameSite=None cookie and send session cookies in clear`,
    `serve it over https (http is fine only on localhost and *.localhost)`,
  )
}
