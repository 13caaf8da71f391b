import { readFileSync } from 'node:fs'
import { createHub } from '../../hub/create-hub.js'
import { serveHub } from '../../hub/serve.js'
import { readConfig } from '../../config/config-file.js'
import { describeStore } from '../../config/open-store.js'
import { loadKeyRing } from '../../keys/key-ring.js'
import { watchKeyRing } from '../../keys/watch.js'
import { loadConfig, openLiveStore, openUsers } from '../context.js'
import { oidcFromConfig } from './clients.js'

/**
 * `shared-session serve`: run the hub (login, logout, refresh, pull, JWKS,
 * forward-auth) from a configuration file. `SHARED_SESSION_SECRET`,
 * `SHARED_SESSION_STORE` and `SHARED_SESSION_PORT` override the file.
 * `--tls-cert` and `--tls-key` (PEM files) serve https directly; without
 * them it serves plain http, for a TLS-terminating proxy in front.
 *
 * @example
 * ```ts
 * await serveCommand({ config: 'shared-session.json', port: '4000' })
 * ```
 */
export async function serveCommand(options: { config: string; port?: string; host?: string; tlsCert?: string; tlsKey?: string }): Promise<void> {
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new Error('--tls-cert and --tls-key go together: give both PEM files, or neither')
  const tls = options.tlsCert !== undefined && options.tlsKey !== undefined ? { cert: readPem(options.tlsCert, '--tls-cert'), key: readPem(options.tlsKey, '--tls-key') } : undefined
  const config = loadConfig(options.config)
  const keys = await loadKeyRing(config.keys)
  // Rotation without restarts: `keys rotate` rewrites the file; the ring follows it in place.
  const watcher = watchKeyRing(keys, {
    path: options.config,
    read: () => readConfig(options.config, process.env).keys,
    onReload: (ring) => console.log(`shared-session: keys reloaded from ${options.config} (signing key ${ring.signer.kid}, handoff key ${ring.handoff[0]!.id.toString('base64url')})`),
  })
  const store = await openLiveStore(config)
  const users = openUsers(config)
  const hub = createHub({ ...config.hub, sites: config.sites, session: config.session, keys, store, users, ...oidcFromConfig(config) })
  const port = options.port !== undefined ? Number(options.port) : config.listen.port
  const host = options.host ?? config.listen.host
  const server = await serveHub(hub, { port, host, ...(tls ? { tls } : {}) })
  console.log(`shared-session hub: ${hub.origin} (listening on ${host}:${port}${tls ? ' over https' : ''}, store ${describeStore(config.store)})`)
  console.log(`  JWKS          ${hub.origin}/.well-known/jwks.json`)
  console.log(`  forward-auth  ${hub.origin}/forward-auth`)
  const stop = () => {
    watcher.close()
    server.close()
    server.closeAllConnections()
    void store.close().finally(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

function readPem(path: string, flag: string): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
  if (!text.includes('-----BEGIN ')) throw new Error(`${flag} ${path}: not a PEM file (expected a -----BEGIN … block)`)
  return text
}
