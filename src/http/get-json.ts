import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'

/**
 * GET a small JSON document (at most 64 KiB) for a start-up check or a
 * probe: the status and the parsed body (null when not JSON). `*.localhost`
 * names go to 127.0.0.1 with the right Host header, as browsers resolve
 * them. Rejects with the socket error code (`ECONNREFUSED`) or a timeout.
 * `unref`: the request keeps no process alive (a background check).
 *
 * @example
 * ```ts
 * const { status, body } = await getJson('http://auth.acme.localhost:4000/.well-known/shared-session.json', 3000)
 * ```
 */
export function getJson(url: string, timeoutMs: number, headers: Record<string, string> = {}, options: { unref?: boolean } = {}): Promise<{ status: number; body: unknown }> {
  const target = new URL(url)
  const loopback = target.hostname === 'localhost' || target.hostname.endsWith('.localhost')
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(
      {
        protocol: target.protocol,
        hostname: loopback ? '127.0.0.1' : target.hostname,
        port: target.port || undefined,
        path: target.pathname + target.search,
        headers: { accept: 'application/json', ...headers, host: target.host },
        ...(loopback && target.protocol === 'https:' ? { servername: target.hostname } : {}),
        timeout: timeoutMs,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          text += chunk
          if (text.length > 65_536) req.destroy(new Error('answer too large'))
        })
        res.on('end', () => {
          let body: unknown = null
          try {
            body = JSON.parse(text)
          } catch {
            // Not JSON: not a hub.
          }
          resolve({ status: res.statusCode ?? 0, body })
        })
      },
    )
    if (options.unref) req.on('socket', (socket) => socket.unref())
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ? `${err.code}` : err.message)))
    req.end()
  })
}
