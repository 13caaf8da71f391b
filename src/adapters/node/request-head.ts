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
  return new NodeRequestHead(req, origin)
}

/**
 * The class behind {@link nodeRequestHead}: its methods live on the
 * prototype, so a request costs one small object and no closures.
 *
 * @example
 * ```ts
 * const head = new NodeRequestHead(req, 'https://forum.acme.com')
 * head.headers.get('cookie')
 * ```
 */
export class NodeRequestHead implements RequestHead {
  readonly method: string
  readonly url: string
  readonly headers: NodeHeaders
  /** The Node request underneath. */
  protected readonly req: IncomingMessage

  constructor(req: IncomingMessage, origin: string) {
    const path = req.url ?? '/'
    this.req = req
    this.method = req.method ?? 'GET'
    this.url = path.charCodeAt(0) === 47 /* "/" */ ? origin + path : `${origin}/${path}`
    this.headers = new NodeHeaders(req)
  }
}

/** `headers.get` over Node's parsed headers: repeated fields joined with `, `, as Fetch `Headers` would. */
class NodeHeaders {
  readonly #req: IncomingMessage
  constructor(req: IncomingMessage) {
    this.#req = req
  }
  get(name: string): string | null {
    const value = this.#req.headers[name]
    return value === undefined ? null : typeof value === 'string' ? value : value.join(', ')
  }
}
