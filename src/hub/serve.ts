import { createServer, type Server } from 'node:http'
import { toNodeListener } from '../adapters/node/listener.js'
import type { Hub } from './create-hub.js'

/**
 * Serve a hub on `node:http`. Resolves once listening; `close()` stops it.
 *
 * @example
 * ```ts
 * const server = await serveHub(hub, { port: 4000, host: '127.0.0.1' })
 * ```
 */
export function serveHub(hub: Hub, options: { port: number; host?: string }): Promise<Server> {
  const server = createServer(toNodeListener(hub.fetch, { origin: hub.origin }))
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}
