import type { RequestHead } from '../http/request-head.js'

/**
 * What a middleware core decides for one request: either a `response` to
 * send instead of the app (a redirect, a 401), or a `value` to hand to the app.
 *
 * @example
 * ```ts
 * const result: MiddlewareResult<TokenAuth> = { value: { user: null, claims: null } }
 * ```
 */
export interface MiddlewareResult<T> {
  value: T
  response?: Response
}

/**
 * Where a core writes headers onto the response the app is about to send:
 * during `handle`, or later while the app runs (a session created on the
 * first cart write sets its cookie then). Each adapter implements it.
 *
 * @example
 * ```ts
 * sink.setCookie(setCookie(spec, cookieValue))
 * sink.setHeader('cache-control', 'private, no-store')
 * ```
 */
export interface ResponseSink {
  /** Append one `Set-Cookie` header value. */
  setCookie(value: string): void
  /** Set (replace) a header. */
  setHeader(name: string, value: string): void
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
  /** `sink` may be omitted by callers that send no response (tests, probes); cores that set cookies refuse to run without it. */
  handle(request: RequestHead, sink?: ResponseSink): Promise<MiddlewareResult<T>>
}
