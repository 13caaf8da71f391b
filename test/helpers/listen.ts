import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * An HTTP server listening on a free port of 127.0.0.1 with no handler yet,
 * so its origin is known before the app behind it is configured.
 */
export async function listenOnFreePort(): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    server,
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
