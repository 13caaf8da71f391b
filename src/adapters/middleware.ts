import type { RequestHead } from '../http/request-head.js'

/**
 * What a middleware core decides for one request: either a `response` to
 * send instead of the app (a redirect, a 401), or a `value` to hand to the
 * app, plus any `Set-Cookie` headers to add to the app's response.
 *
 * @example
 * ```ts
 * const result: MiddlewareResult<TokenAuth> = { value: { user: null, claims: null } }
 * ```
 */
export interface MiddlewareResult<T> {
  value: T
  response?: Response
  setCookies?: string[]
}

/**
 * A Web-standard middleware core: one implementation, wrapped by the
 * Express, Fastify, Hono and `node:http` adapters. `property` is where
 * adapters put the value (`req.auth`, `c.get('auth')`, …).
 *
 * @example
 * ```ts
 * const core: MiddlewareCore<TokenAuth> = { property: 'auth', origin, handle: (request) => consumer.authenticate(request) }
 * ```
 */
export interface MiddlewareCore<T> {
  property: string
  /** This app's public origin: request URLs are built on it, never on the Host header. */
  origin: string
  handle(request: RequestHead): Promise<MiddlewareResult<T>>
}
