/**
 * Consumers of the hub's login token on subdomains: verify the parent-domain
 * token cookie against the hub's JWKS and find-or-create the local user.
 *
 * @example
 * ```ts
 * import { createTokenConsumer } from 'shared-session/consumer'
 * import { toExpress } from 'shared-session/adapters/express'
 * app.use(toExpress(createTokenConsumer({ hub: 'https://auth.acme.com', origin: 'https://forum.acme.com', audience: 'acme.com' })))
 * ```
 * @packageDocumentation
 */
export { createTokenConsumer, type TokenAuth, type TokenConsumerOptions } from './token-consumer.js'
export { createJwksClient, type JwksClient, type JwksClientOptions } from './jwks-client.js'
export { storeRevocationCheck, type RevocationCheck } from '../tokens/revocation.js'
export { hubRevocationCheck, type HubRevocationOptions } from '../tokens/hub-revocation.js'
