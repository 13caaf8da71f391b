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
    // A core that throws instead of rejecting must not crash the process.
    const sink: ResponseSink = {
      setCookie: (value) => void res.appendHeader('set-cookie', value),
      setHeader: (name, value) => void res.setHeader(name, value),
    }
    new Promise<MiddlewareResult<T>>((resolve) => resolve(core.handle(nodeRequestHead(req, core.origin), sink))).then(
      (result) => {
        if (result.response) return sendResponse(res, result.response)
        ;(req as unknown as Record<string, unknown>)[core.property] = result.value
        return handler(req, res)
      },
      // A navigation gets an HTML page saying what happened; scripts and API clients keep the JSON.
      (err) => sendResponse(res, errorResponse(err, undefined, nodeRequestHead(req, core.origin))),
    ).catch((err: unknown) => {
      // An error of the app's own handler: log it, and answer 500 if nothing was sent yet.
      if (res.headersSent) {
        console.error(`shared-session: request handler failed: ${(err as Error)?.stack ?? String(err)}`)
        res.destroy()
      } else {
        void sendResponse(res, errorResponse(err)).catch(() => res.destroy())
      }
    })
  }
}
