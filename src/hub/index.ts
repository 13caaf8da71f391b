/**
 * The hub: central login, logout, token refresh, JWKS and forward-auth, as a
 * Web-standard handler.
 *
 * @example
 * ```ts
 * import { createHub, serveHub } from 'shared-session/hub'
 * import { createSqliteUserDirectory } from 'shared-session/users/sqlite'
 * const hub = createHub({ origin: 'https://auth.acme.com', parentDomain: 'acme.com', keys: ring, store, users: createSqliteUserDirectory({ path: 'users.sqlite' }) })
 * await serveHub(hub, { port: 4000 })
 * ```
 * @packageDocumentation
 */
export { createHub, type Hub } from './create-hub.js'
export { serveHub } from './serve.js'
export { HUB_SITE, resolveHubOptions, type HubContext, type HubOptions } from './options.js'
export { LOGIN_FAILED } from './login.js'
export { createRateLimiter, type RateLimit, type RateLimiter } from './rate-limit.js'
