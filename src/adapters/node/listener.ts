import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { LIGHT_HANDLER } from '../../http/light-response.js'
import { errorResponse } from '../../http/respond.js'
import type { RequestWithBody } from '../../http/request-head.js'
import { sendResponse } from './send-response.js'
import { nodeRequestWithBody, toRequest } from './to-request.js'

/** What a Web-standard handler learns about the connection besides the Request. */
export interface ConnectionInfo {
  /** The peer's address (the proxy's, behind a reverse proxy). */
  clientAddress: string
}

/** A Web-standard handler: a request (a Fetch `Request` or the adapter's light one) in, a Response out. */
export type FetchHandler = (request: RequestWithBody, info: ConnectionInfo) => Promise<Response>

/**
 * A `node:http` request listener that runs a Web-standard handler. Anything
 * thrown becomes a clean error response, never a crashed process.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * createServer(toNodeListener(hub.fetch, { origin: hub.origin })).listen(4000)
 * ```
 */
export function toNodeListener(handler: FetchHandler, options: { origin?: string } = {}): RequestListener {
  // The hub's fetch carries a twin that leaves the library's light responses as they are: no Fetch objects on the way out.
  const inner = (handler as FetchHandler & { [LIGHT_HANDLER]?: FetchHandler })[LIGHT_HANDLER] ?? handler
  return (req: IncomingMessage, res: ServerResponse) => {
    void handle(inner, req, res, options.origin)
  }
}

async function handle(handler: FetchHandler, req: IncomingMessage, res: ServerResponse, origin?: string): Promise<void> {
  let response: Response
  try {
    const request = origin ? nodeRequestWithBody(req, origin) : await toRequest(req)
    response = await handler(request, { clientAddress: req.socket.remoteAddress ?? 'unknown' })
  } catch (err) {
    response = errorResponse(err)
  }
  try {
    await sendResponse(res, response)
  } catch {
    res.destroy()
  }
}
