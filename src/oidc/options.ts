import { SharedSessionError } from '../errors/shared-session-error.js'
import type { SigningJwk } from '../keys/config.js'
import type { KeyRing } from '../keys/key-ring.js'
import { DEFAULT_BACKCHANNEL_POLICY, type BackchannelPolicy } from './backchannel-logout.js'
import { staticClients, type ClientRegistry, type OidcClient } from './clients.js'
import { createMemoryOidcStorage, type OidcStorage } from './storage.js'

/**
 * The hub's `oidc` option: turn the hub into an OpenID Connect provider.
 *
 * @example
 * ```ts
 * createHub({
 *   origin, keys: ring, store, users,
 *   oidc: {
 *     signingKey: config.keys.signingKeys[0],
 *     clients: [{ clientId: 'grafana', redirectUris: ['https://grafana.acme.com/login/generic_oauth'], secretHash }],
 *     storage: createSqliteOidcStorage({ path: '.shared-session/oidc.sqlite' }),
 *   },
 * })
 * ```
 */
export interface OidcOptions {
  /** Registered apps: a list, or a registry such as the CLI's (`openSqliteClients`). */
  clients: OidcClient[] | ClientRegistry
  /**
   * The private JWK of the hub's current signing key (`keys.signingKeys[0]`
   * of the configuration): ID and logout tokens are signed with it and
   * verify against the hub's `/.well-known/jwks.json`. EdDSA or ES256.
   * Or the whole `keys.signingKeys` list: the one the ring signs with is
   * taken (during a rotation's overlap that is not the first).
   */
  signingKey: SigningJwk | SigningJwk[]
  /** Where grants, codes and tokens live. Default: memory (one hub instance; lost on restart). */
  storage?: OidcStorage
  /** Back-channel logout delivery. Default 3 tries, 2.5 s each, backoff from 0.5 s. */
  backchannel?: Partial<BackchannelPolicy>
  /**
   * How often (ms) the hub checks whether a session some app signed in
   * within has ended without the hub hearing of it (a sign-out at a member
   * in another process, a revocation from the CLI, expiry). Default 5000.
   */
  watchIntervalMs?: number
  /** Access and ID token lifetime in seconds. Default 600. */
  accessTokenTtlSeconds?: number
  /** Refresh token lifetime in seconds (rotated on every use). Default 14 days. */
  refreshTokenTtlSeconds?: number
}

/** The validated {@link OidcOptions}. */
export interface ResolvedOidcOptions {
  registry: ClientRegistry
  signingKey: SigningJwk
  storage: OidcStorage
  backchannel: BackchannelPolicy
  watchIntervalMs: number
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
}

/**
 * Validate the `oidc` option against the hub's key ring, at start-up.
 *
 * @example
 * ```ts
 * const resolved = resolveOidcOptions(options.oidc, ring)
 * ```
 */
export function resolveOidcOptions(options: OidcOptions, ring: KeyRing): ResolvedOidcOptions {
  if (typeof options !== 'object' || options === null) throw invalid('oidc must be an object such as { clients, signingKey }', 'oidc')
  const given = options.signingKey
  const key = Array.isArray(given) ? (given.find((k) => k?.kid === ring.signer.kid) ?? given[0]) : given
  if (typeof key !== 'object' || key === null) throw invalid('oidc.signingKey is required: the private JWK of keys.signingKeys[0]', 'oidc.signingKey')
  if (key.kid !== ring.signer.kid) throw invalid(`oidc.signingKey must be the hub's current signing key "${ring.signer.kid}", got "${key.kid}"`, 'oidc.signingKey')
  if (key.alg === 'HS256') throw invalid('OpenID Connect needs an asymmetric signing key (EdDSA or ES256): apps verify ID tokens with the public JWKS; rotate with `shared-session keys rotate --alg EdDSA`', 'oidc.signingKey')
  if (typeof key.d !== 'string') throw invalid('oidc.signingKey needs its private part "d"', 'oidc.signingKey')
  const published = ring.jwks.keys.find((k) => k.kid === key.kid)
  if (!published || published.x !== key.x || published.y !== key.y) throw invalid(`oidc.signingKey does not match the published key "${key.kid}"`, 'oidc.signingKey')
  const clients = options.clients
  const registry = Array.isArray(clients) ? staticClients(clients) : clients
  if (!registry || typeof registry.find !== 'function') throw invalid('oidc.clients must be a list of clients or a registry with find()', 'oidc.clients')
  const backchannel = { ...DEFAULT_BACKCHANNEL_POLICY, ...options.backchannel }
  for (const [name, value, min, max] of [['attempts', backchannel.attempts, 1, 10], ['timeoutMs', backchannel.timeoutMs, 100, 30_000], ['backoffMs', backchannel.backoffMs, 0, 30_000]] as const) {
    if (!Number.isSafeInteger(value) || value < min || value > max) throw invalid(`oidc.backchannel.${name} must be a whole number from ${min} to ${max}`, `oidc.backchannel.${name}`)
  }
  const seconds = (name: string, value: number | undefined, fallback: number, min: number, max: number) => {
    const v = value ?? fallback
    if (!Number.isSafeInteger(v) || v < min || v > max) throw invalid(`oidc.${name} must be a whole number from ${min} to ${max}`, `oidc.${name}`)
    return v
  }
  return {
    registry,
    signingKey: key,
    storage: options.storage ?? createMemoryOidcStorage(),
    backchannel,
    watchIntervalMs: seconds('watchIntervalMs', options.watchIntervalMs, 5000, 50, 600_000),
    accessTokenTtlSeconds: seconds('accessTokenTtlSeconds', options.accessTokenTtlSeconds, 600, 30, 86_400),
    refreshTokenTtlSeconds: seconds('refreshTokenTtlSeconds', options.refreshTokenTtlSeconds, 14 * 86_400, 60, 365 * 86_400),
  }
}

function invalid(message: string, detail: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIG_INVALID', message, { detail })
}
