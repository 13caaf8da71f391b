import { createHub } from '../../hub/create-hub.js'
import { serveHub } from '../../hub/serve.js'
import { loadKeyRing } from '../../keys/key-ring.js'
import { loadConfig, openLiveStore, openUsers } from '../context.js'
import { oidcFromConfig } from './clients.js'

/**
 * `shared-session serve`: run the hub (login, logout, refresh, pull, JWKS,
 * forward-auth) from a configuration file. `SHARED_SESSION_SECRET`,
 * `SHARED_SESSION_STORE` and `SHARED_SESSION_PORT` override the file.
 *
 * @example
 * ```ts
 * await serveCommand({ config: 'shared-session.json', port: '4000' })
 * ```
 */
export async function serveCommand(options: { config: string; port?: string; host?: string }): Promise<void> {
  const config = loadConfig(options.config)
  const keys = await loadKeyRing(config.keys)
  const store = await openLiveStore(config)
  const users = openUsers(config)
  const hub = createHub({ ...config.hub, sites: config.sites, session: config.session, keys, store, users, ...oidcFromConfig(config) })
  const port = options.port !== undefined ? Number(options.port) : config.listen.port
  const host = options.host ?? config.listen.host
  const server = await serveHub(hub, { port, host })
  console.log(`shared-session hub: ${hub.origin} (listening on ${host}:${port}, store ${config.store})`)
  console.log(`  JWKS          ${hub.origin}/.well-known/jwks.json`)
  console.log(`  forward-auth  ${hub.origin}/forward-auth`)
  const stop = () => {
    server.close()
    server.closeAllConnections()
    void store.close().finally(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
