/**
 * The hub as an OpenID Connect provider: pass `oidc` to `createHub`.
 *
 * @example
 * ```ts
 * import { createHub } from 'shared-session/hub'
 * import { createSqliteOidcStorage, hashClientSecret } from 'shared-session/oidc'
 * createHub({ ...options, oidc: { signingKey, clients, storage: createSqliteOidcStorage({ path }) } })
 * ```
 */
export { createOidc, OIDC_PREFIX, type OidcMount } from './provider.js'
export type { OidcOptions, ResolvedOidcOptions } from './options.js'
export { notifyApps } from './sign-out.js'
export { generateClientSecret, hashClientSecret, verifyClientSecret, validateClient, staticClients, openSqliteClients, type OidcClient, type ClientRegistry } from './clients.js'
export { createMemoryOidcStorage, type OidcStorage } from './storage.js'
export { createSqliteOidcStorage } from './storage-sqlite.js'
export { createRedisOidcStorage } from './storage-redis.js'
export { signLogoutToken, deliverLogoutToken, BACKCHANNEL_LOGOUT_EVENT, type BackchannelPolicy } from './backchannel-logout.js'
