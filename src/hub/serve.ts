import { createServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { toNodeListener } from '../adapters/node/listener.js'
import type { Hub } from './create-hub.js'

/**
 * Serve a hub on `node:http`, or `node:https` with `tls` (PEM certificate
 * chain and key). Resolves once listening; `close()` stops it.
 *
 * @example
 * ```ts
 * const server = await serveHub(hub, { port: 4000, host: '127.0.0.1' })
 * const secure = await serveHub(hub, { port: 443, tls: { cert: readFileSync('cert.pem'), key: readFileSync('key.pem') } })
 * ```
 */
export function serveHub(hub: Hub, options: { port: number; host?: string; tls?: { cert: string | Buffer; key: string | Buffer } }): Promise<Server> {
  const listener = toNodeListener(hub.fetch, { origin: hub.origin })
  const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createServer(listener)
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}
