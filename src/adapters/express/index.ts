import type { NextFunction, Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from 'express'
import { errorResponse } from '../../http/respond.js'
import type { MiddlewareCore, MiddlewareResult, ResponseSink } from '../middleware.js'
import { nodeRequestHead } from '../node/request-head.js'
import { sendResponse } from '../node/send-response.js'

/**
 * Express middleware from a shared-session middleware core. The core's
 * value lands on `req[core.property]` and `res.locals[core.property]`;
 * redirects and 401s from the core are sent directly.
 *
 * @example
 * ```ts
 * import { toExpress } from 'shared-session/adapters/express'
 * app.use(toExpress(createTokenConsumer({ hub, origin, audience })))
 * app.get('/', (req, res) => res.send(`hello ${req.auth.user?.username}`))
 * ```
 */
export function toExpress<T>(core: MiddlewareCore<T>): RequestHandler {
  return function sharedSession(req: ExpressRequest, res: ExpressResponse, next: NextFunction) {
    void run(core, req, res, next)
  }
}

async function run<T>(core: MiddlewareCore<T>, req: ExpressRequest, res: ExpressResponse, next: NextFunction): Promise<void> {
  let result: MiddlewareResult<T>
  try {
    // A core that throws instead of rejecting still gets a clean error response.
    result = await core.handle(nodeRequestHead(req, core.origin), new ExpressSink(res))
  } catch (err) {
    // A navigation gets an HTML page saying what happened; scripts and API clients keep the JSON.
    return sendResponse(res, errorResponse(err, undefined, nodeRequestHead(req, core.origin))).catch(next)
  }
  if (result.response) return sendResponse(res, result.response).catch(next)
  ;(req as unknown as Record<string, unknown>)[core.property] = result.value
  res.locals[core.property] = result.value
  next()
}

/** The core's headers onto Express's response: one object per request, methods on the prototype. */
class ExpressSink implements ResponseSink {
  readonly #res: ExpressResponse
  constructor(res: ExpressResponse) {
    this.#res = res
  }
  setCookie(value: string): void {
    this.#res.append('set-cookie', value)
  }
  setHeader(name: string, value: string): void {
    this.#res.setHeader(name, value)
  }
}
