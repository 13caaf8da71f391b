import type { MiddlewareHandler } from 'hono'
import { LightResponse, toFetchResponse } from '../../http/light-response.js'
import { errorResponse } from '../../http/respond.js'
import type { MiddlewareCore, ResponseSink } from '../middleware.js'

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
    // Collected, then applied to whatever response leaves: the core's own or the app's.
    const cookies: string[] = []
    const headers: [string, string][] = []
    const sink: ResponseSink = { setCookie: (value) => void cookies.push(value), setHeader: (name, value) => void headers.push([name, value]) }
    let result
    try {
      const raw = c.req.raw
      // Build the URL on the configured origin: never trust the Host header.
      result = await core.handle({ method: raw.method, url: core.origin + pathAndQuery(raw.url), headers: raw.headers }, sink)
    } catch (err) {
      // A navigation gets an HTML page saying what happened; scripts and API clients keep the JSON.
      return toFetchResponse(errorResponse(err, undefined, c.req.raw))
    }
    if (result.response) return withSink(result.response, cookies, headers)
    c.set(core.property as never, result.value as never)
    await next()
    if (cookies.length > 0 || headers.length > 0) {
      // Hono's `c.res =` setter copies the old response's cookies over the new one's,
      // so swap in a mutable copy first and add ours to it afterwards.
      c.res = new Response(c.res.body, c.res)
      applySink(c.res.headers, cookies, headers)
    }
  }
}

/** The path and query of an absolute URL (no fragment), sliced without parsing when it is plain. */
function pathAndQuery(url: string): string {
  const scheme = url.indexOf('://')
  const slash = scheme === -1 ? -1 : url.indexOf('/', scheme + 3)
  if (slash !== -1 && !url.includes('#')) {
    const authority = url.slice(scheme + 3, slash)
    // An authority with userinfo, or characters URL parsing would rewrite, takes the slow road.
    const rest = url.slice(slash)
    // Dot segments, backslashes and characters URL parsing would encode are left to it, as before.
    if (!/[@\\?]/.test(authority) && PLAIN.test(rest) && !/\/\.|%2e/i.test(rest)) return rest
  }
  const parsed = new URL(url)
  return parsed.pathname + parsed.search
}

const PLAIN = /^[\w\-.~!$&()*+,;=:@/?%]*$/

/** The response with the sink's headers added, on a copy: a Response may be immutable (Response.redirect, a proxied fetch). */
function withSink(response: Response, cookies: string[], headers: [string, string][]): Response {
  // The library's own light response becomes a fresh Response here, so the sink's headers go straight onto it.
  if (response instanceof LightResponse && !response.materialized) {
    const real = response.toResponse()
    applySink(real.headers, cookies, headers)
    return real
  }
  if (cookies.length === 0 && headers.length === 0) return response
  const copy = new Response(response.body, response)
  applySink(copy.headers, cookies, headers)
  return copy
}

function applySink(target: Headers, cookies: string[], headers: [string, string][]): void {
  for (const [name, value] of headers) target.set(name, value)
  for (const cookie of cookies) target.append('set-cookie', cookie)
}
