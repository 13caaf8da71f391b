import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { LightResponse } from '../../http/light-response.js'
import { errorResponse } from '../../http/respond.js'
import type { MiddlewareCore, ResponseSink } from '../middleware.js'
import { nodeRequestHead } from '../node/request-head.js'

/**
 * Register a shared-session middleware core on a Fastify instance as an
 * `onRequest` hook. The value lands on `request[core.property]` (declared
 * with `decorateRequest`, so Fastify keeps its fast object shapes).
 *
 * @example
 * ```ts
 * import { registerFastify } from 'shared-session/adapters/fastify'
 * registerFastify(app, createTokenConsumer({ hub, origin, audience }))
 * app.get('/', async (request) => `hello ${request.auth.user?.username}`)
 * ```
 */
export function registerFastify<T>(app: FastifyInstance, core: MiddlewareCore<T>): void {
  app.decorateRequest(core.property, null)
  app.addHook('onRequest', async function sharedSession(request: FastifyRequest, reply: FastifyReply) {
    let response: Response | undefined
    try {
      const result = await core.handle(nodeRequestHead(request.raw, core.origin), new FastifySink(reply))
      response = result.response
      if (!response) {
        ;(request as unknown as Record<string, unknown>)[core.property] = result.value
        return
      }
    } catch (err) {
      // A navigation gets an HTML page saying what happened; scripts and API clients keep the JSON.
      response = errorResponse(err, undefined, nodeRequestHead(request.raw, core.origin))
    }
    await sendFastify(reply, response)
    return reply
  })
}

/** The core's headers onto Fastify's reply: one object per request, methods on the prototype. */
class FastifySink implements ResponseSink {
  readonly #reply: FastifyReply
  constructor(reply: FastifyReply) {
    this.#reply = reply
  }
  setCookie(value: string): void {
    // Fastify appends repeated set-cookie headers instead of replacing them.
    this.#reply.header('set-cookie', value)
  }
  setHeader(name: string, value: string): void {
    this.#reply.header(name, value)
  }
}

async function sendFastify(reply: FastifyReply, response: Response): Promise<void> {
  reply.code(response.status)
  if (response instanceof LightResponse && !response.materialized) {
    // The library's own light response: its fields as they are, no Fetch objects.
    const { fields, cookies, payload } = response
    for (const name in fields) reply.header(name, fields[name])
    if (cookies.length) reply.header('set-cookie', cookies)
    return void (await reply.send(payload))
  }
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') reply.header(name, value)
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length) reply.header('set-cookie', cookies)
  await reply.send(response.body ? Buffer.from(await response.arrayBuffer()) : null)
}
