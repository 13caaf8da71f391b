import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { errorResponse } from '../../http/respond.js'
import type { MiddlewareCore, MiddlewareResult, ResponseSink } from '../middleware.js'
import { nodeRequestHead } from './request-head.js'
import { sendResponse } from './send-response.js'

export { toNodeListener, type ConnectionInfo, type FetchHandler } from './listener.js'
export { sendResponse } from './send-response.js'
export { nodeRequestWithBody, toRequest } from './to-request.js'
export { nodeRequestHead } from './request-head.js'

/**
 * Wrap a plain `node:http` handler with a middleware core: the core's value
 * is put on `req[core.property]`, its cookies on the response, and its own
 * responses (redirects, 401s) are sent without calling the handler.
 *
 * @example
 * ```ts
 * createServer(withNodeMiddleware(consumer, (req, res) => {
 *   res.end(`hello ${(req as any).auth.user?.username ?? 'guest'}`)
 * })).listen(3000)
 * ```
 */
export function withNodeMiddleware<T>(core: MiddlewareCore<T>, handler: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    void run(core, handler, req, res)
  }
}

async function run<T>(core: MiddlewareCore<T>, handler: RequestListener, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let result: MiddlewareResult<T>
  try {
    // A core that throws instead of rejecting lands here too, and must not crash the process.
    result = await core.handle(nodeRequestHead(req, core.origin), new NodeSink(res))
  } catch (err) {
    // A navigation gets an HTML page saying what happened; scripts and API clients keep the JSON.
    return sendOrDestroy(res, errorResponse(err, undefined, nodeRequestHead(req, core.origin)))
  }
  try {
    if (result.response) return await sendResponse(res, result.response)
    ;(req as unknown as Record<string, unknown>)[core.property] = result.value
    await handler(req, res)
  } catch (err) {
    // An error of the app's own handler: log it, and answer 500 if nothing was sent yet.
    if (res.headersSent) {
      console.error(`shared-session: request handler failed: ${(err as Error)?.stack ?? String(err)}`)
      res.destroy()
    } else {
      await sendOrDestroy(res, errorResponse(err))
    }
  }
}

async function sendOrDestroy(res: ServerResponse, response: Response): Promise<void> {
  try {
    await sendResponse(res, response)
  } catch {
    res.destroy()
  }
}

/** The core's headers straight onto the Node response: one object per request, methods on the prototype. */
class NodeSink implements ResponseSink {
  readonly #res: ServerResponse
  constructor(res: ServerResponse) {
    this.#res = res
  }
  setCookie(value: string): void {
    this.#res.appendHeader('set-cookie', value)
  }
  setHeader(name: string, value: string): void {
    this.#res.setHeader(name, value)
  }
}
