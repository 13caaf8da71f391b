import type { MiddlewareHandler } from 'hono'
import { errorResponse } from '../../http/respond.js'
import type { MiddlewareCore } from '../middleware.js'

/**
 * Hono middleware from a shared-session middleware core. Hono already speaks
 * Fetch, so the core sees the raw `Request`; the value is available as
 * `c.get(core.property)`.
 *
 * @example
 * ```ts
 * import { toHono } from 'shared-session/adapters/hono'
 * app.use(toHono(createTokenConsumer({ hub, origin, audience })))
 * app.get('/', (c) => c.text(`hello ${c.get('auth').user?.username}`))
 * ```
 */
export function toHono<T>(core: MiddlewareCore<T>): MiddlewareHandler {
  return async function sharedSession(c, next) {
    let result
    try {
      const raw = c.req.raw
      const url = new URL(raw.url)
      // Build the URL on the configured origin: never trust the Host header.
      result = await core.handle({ method: raw.method, url: core.origin + url.pathname + url.search, headers: raw.headers })
    } catch (err) {
      return errorResponse(err)
    }
    if (result.response) return result.response
    c.set(core.property as never, result.value as never)
    await next()
    if (result.setCookies?.length) {
      // The app may return a Response with immutable headers (Response.redirect, a proxied fetch): add ours to a copy.
      const res = c.res
      c.res = new Response(res.body, res)
      for (const cookie of result.setCookies) c.res.headers.append('set-cookie', cookie)
    }
  }
}
