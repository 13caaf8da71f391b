import { existsSync, readFileSync } from 'node:fs'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { MemberKeysConfig, SigningJwk } from '../keys/config.js'
import { deriveKey } from '../keys/derive.js'
import type { KeyRing } from '../keys/key-ring.js'
import { parseMasterSecret } from '../keys/secret.js'
import { publicPart } from '../keys/verification-keys.js'
import type { MemberOptions } from '../member/options.js'
import type { SessionPolicy } from '../sessions/policy.js'
import { sameSite } from '../sites/registrable-domain.js'
import type { SiteConfig } from '../sites/config.js'
import type { SessionStore } from '../stores/store.js'
import { ENV, type DeploymentConfig } from './config-file.js'

/**
 * What one member app needs to join a deployment, and nothing more: its
 * name, the hub, the site list, the store, and its share of the keys
 * (derived handoff keys and the hub's public JWKS; never the master secret
 * or a private signing key). `shared-session config member <site>` writes it.
 *
 * @example
 * ```json
 * { "site": "shop", "hub": { "origin": "https://auth.acme.com" },
 *   "sites": [{ "name": "shop", "origin": "https://shop.com" }], "store": "redis://redis:6379",
 *   "keys": { "handoff": [{ "id": "x8Kq2w", "key": "…" }], "jwks": { "keys": [] }, "jwksUrl": "https://auth.acme.com/.well-known/jwks.json" } }
 * ```
 */
export interface MemberConfig {
  /** This site's name in `sites`. */
  site: string
  hub: {
    origin: string
    basePath?: string
    /** Path prefix of the member endpoints, as the hub has it. */
    prefix?: string
    timeout?: number
    /** Set for a member on the hub's parent domain: it links the session named by the hub's token cookie. */
    token?: { audience: string; issuer: string }
  }
  sites: SiteConfig[]
  /** The shared session store, exactly as the hub's configuration names it. */
  store: DeploymentConfig['store']
  session?: Partial<SessionPolicy>
  keys: MemberKeysConfig
}

/**
 * Cut a member's configuration out of the hub's: the same sites, hub and
 * store, and keys reduced to what a member uses. A site that is not a member
 * (`member: false`) or is not listed is refused with the list of members.
 *
 * @example
 * ```ts
 * writeFileSync('shop.json', JSON.stringify(memberConfig(readConfig('shared-session.json'), 'shop'), null, 2), { mode: 0o600 })
 * ```
 */
export function memberConfig(config: DeploymentConfig, site: string): MemberConfig {
  const sites = config.sites ?? []
  const entry = sites.find((s) => s.name === site)
  const members = sites.filter((s) => s.member !== false).map((s) => s.name)
  if (!entry) throw invalid(`no site "${site}" in the configuration; members are: ${members.join(', ') || '(none: add one with `shared-session sites add <name> <origin>`)'}`)
  if (entry.member === false) throw invalid(`site "${site}" is listed with member: false (it only reads the token); it needs the JWKS URL ${config.hub.origin}${config.hub.basePath ?? ''}/.well-known/jwks.json, not a member configuration`)
  const hubOrigin = config.hub.origin
  const audience = config.hub.parentDomain?.replace(/^\./, '').toLowerCase()
  const onParent = audience !== undefined && sameSite(entry.origin, hubOrigin)
  return {
    site,
    hub: {
      origin: hubOrigin,
      ...(config.hub.basePath ? { basePath: config.hub.basePath } : {}),
      ...(config.hub.prefix ? { prefix: config.hub.prefix } : {}),
      ...(config.hub.timeout !== undefined ? { timeout: config.hub.timeout } : {}),
      ...(onParent ? { token: { audience: audience!, issuer: hubOrigin } } : {}),
    },
    sites,
    store: config.store,
    ...(config.session ? { session: config.session } : {}),
    keys: memberKeys(config, `${hubOrigin}${config.hub.basePath ?? ''}/.well-known/jwks.json`),
  }
}

/**
 * A member's share of the hub's keys: the handoff keys derived from the
 * master secrets (the next one with its `activeFrom`, the current one, the
 * previous ones), and the public signing keys (HS256 keys are shared
 * secrets by nature, so a deployment signing with HS256 hands them out).
 *
 * @example
 * ```ts
 * const keys = memberKeys(config, 'https://auth.acme.com/.well-known/jwks.json')
 * ```
 */
export function memberKeys(config: Pick<DeploymentConfig, 'keys'>, jwksUrl?: string): MemberKeysConfig {
  const share = (secret: string, field: string, activeFrom?: string) => {
    const master = parseMasterSecret(secret, field)
    return { id: deriveKey(master, 'handoff key id', 4).toString('base64url'), key: deriveKey(master, 'handoff v1').toString('base64url'), ...(activeFrom ? { activeFrom } : {}) }
  }
  const keys = config.keys
  const handoff = [
    ...(keys.nextSecret ? [share(keys.nextSecret.secret, 'keys.nextSecret.secret', keys.nextSecret.activeFrom)] : []),
    share(keys.secret, 'keys.secret'),
    ...(keys.previousSecrets ?? []).map((s, i) => share(s, `keys.previousSecrets[${i}]`)),
  ]
  const jwks = keys.signingKeys.map((k): SigningJwk =>
    k.alg === 'HS256' ? { ...k } : ({ ...publicPart(k as never), kid: k.kid, alg: k.alg, ...(k.activeFrom ? { activeFrom: k.activeFrom } : {}) } as SigningJwk),
  )
  return { handoff, jwks: { keys: jwks }, ...(jwksUrl ? { jwksUrl } : {}) }
}

/**
 * Read a member configuration file (as `shared-session config member`
 * writes it). `SHARED_SESSION_STORE` overrides the store. A hub's full
 * configuration is refused here: hand members their share instead.
 *
 * @example
 * ```ts
 * const config = readMemberConfig('shop.json', process.env)
 * const member = createMember(memberOptions(config, { keys: await loadKeyRing(config.keys), store }))
 * ```
 */
export function readMemberConfig(path: string, env: NodeJS.ProcessEnv = {}): MemberConfig {
  if (!existsSync(path)) throw invalid(`no member configuration at ${path}; make one on the hub with \`shared-session config member <site> > ${path}\``)
  let config: MemberConfig
  try {
    config = JSON.parse(readFileSync(path, 'utf8')) as MemberConfig
  } catch (cause) {
    throw invalid(`${path} is not valid JSON: ${(cause as Error).message}`)
  }
  if (!config || typeof config !== 'object' || typeof config.site !== 'string' || !config.hub || !config.keys || !Array.isArray(config.sites)) {
    throw invalid(`${path} is not a member configuration (it needs "site", "hub", "sites", "keys"); make one with \`shared-session config member <site>\``)
  }
  if (env[ENV.store]) config.store = typeof config.store === 'object' && config.store !== null ? { ...config.store, url: env[ENV.store]! } : env[ENV.store]!
  return config
}

/**
 * The {@link MemberOptions} a member configuration describes, given the
 * loaded key ring and the opened store. Add your own options
 * (`alwaysReplace`, `bounce`, …) to the result.
 *
 * @example
 * ```ts
 * const member = createMember({ ...memberOptions(config, { keys, store }), alwaysReplace: true })
 * ```
 */
export function memberOptions(config: MemberConfig, p: { keys: KeyRing; store: SessionStore }): MemberOptions {
  return {
    site: config.site,
    sites: config.sites,
    hub: config.hub.origin,
    ...(config.hub.basePath ? { hubBasePath: config.hub.basePath } : {}),
    ...(config.hub.prefix ? { prefix: config.hub.prefix } : {}),
    ...(config.hub.timeout !== undefined ? { timeout: config.hub.timeout } : {}),
    ...(config.hub.token ? { token: config.hub.token } : {}),
    ...(config.session ? { session: config.session } : {}),
    keys: p.keys,
    store: p.store,
  }
}

function invalid(message: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIG_INVALID', message, { detail: 'config' })
}
