import type { IncomingMessage } from 'node:http'
import type { RequestHead } from '../../http/request-head.js'

/**
 * A cheap {@link RequestHead} view of a Node request: no body is read and
 * no `Headers` object is built. The URL is built on the configured origin.
 *
 * @example
 * ```ts
 * const head = nodeRequestHead(req, 'https://forum.acme.com')
 * ```
 */
export function nodeRequestHead(req: IncomingMessage, origin: string): RequestHead {
  const path = req.url ?? '/'
  return {
    method: req.method ?? 'GET',
    url: origin + (path.startsWith('/') ? path : `/${path}`),
    headers: {
      get(name) {
        const value = req.headers[name]
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value
      },
    },
  }
}
