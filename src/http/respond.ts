import { isSharedSessionError } from '../errors/shared-session-error.js'
import { errorPageHtml, wantsPage, type ErrorSummary } from './error-page.js'
import { LightResponse, splitHeaders } from './light-response.js'
import type { RequestHead } from './request-head.js'

/**
 * Headers for any response that carries a session handoff or a secret:
 * never stored by any cache, never leaked in a Referer.
 */
export const PRIVATE_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
}

/**
 * A redirect with `Location`, uncacheable, and any extra headers (Set-Cookie).
 *
 * @example
 * ```ts
 * return redirect('/login', { 'set-cookie': [cookie] })
 * ```
 */
export function redirect(location: string, extra: Record<string, string | string[]> = {}, status = 303): Response {
  const fields: Record<string, string> = { 'cache-control': PRIVATE_HEADERS['cache-control']!, 'referrer-policy': PRIVATE_HEADERS['referrer-policy']!, location }
  for (const _ in extra) return withHeaders(status, null, { ...fields, ...extra })
  return new LightResponse(status, fields)
}

/**
 * An HTML page response, uncacheable. Its Referrer-Policy is `same-origin`,
 * not `no-referrer`: with no-referrer browsers post forms with `Origin: null`,
 * which would defeat the Origin check of CSRF protection.
 *
 * @example
 * ```ts
 * return html(page('Sign in', form), 200, { 'set-cookie': [csrfCookie] })
 * ```
 */
export function html(body: string, status = 200, extra: Record<string, string | string[]> = {}): Response {
  return withHeaders(status, body, {
    'content-type': 'text/html; charset=utf-8',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'cache-control': 'no-store',
    'referrer-policy': 'same-origin',
    ...extra,
  })
}

/**
 * A JSON response.
 *
 * @example
 * ```ts
 * return json({ error: 'ERR_PAYLOAD_REPLAYED' }, 409)
 * ```
 */
export function json(body: unknown, status = 200, extra: Record<string, string | string[]> = {}): Response {
  return withHeaders(status, JSON.stringify(body), { 'content-type': 'application/json', ...extra })
}

/**
 * The response for an error thrown while handling a request: a
 * `SharedSessionError` becomes its status with `{ error: code, message }`
 * (a store that is down is a 503 and is logged); anything else is logged
 * and answered 500 without details, since it is a bug of ours. Given the
 * `request`, a browser navigation (`Sec-Fetch-Mode: navigate`, or
 * `Accept: text/html` without fetch metadata) gets the same status as an
 * HTML page saying what happened and how to go on; scripts, `fetch()` and
 * API clients keep the JSON.
 *
 * @example
 * ```ts
 * try { return await handle(request) } catch (err) { return errorResponse(err, console.error, request) }
 * ```
 */
export function errorResponse(err: unknown, log: (message: string) => void = console.error, request?: RequestHead): Response {
  const known = isSharedSessionError(err)
  if (known) {
    if (err.status >= 500) log(`shared-session: ${err.code}: ${err.message}${err.cause ? ` (${(err.cause as Error).message ?? err.cause})` : ''}`)
  } else {
    log(`shared-session: unexpected error: ${(err as Error)?.stack ?? String(err)}`)
  }
  const error: ErrorSummary = known ? err : { code: 'ERR_INTERNAL', status: 500, message: 'internal error' }
  const extra: Record<string, string> = { ...PRIVATE_HEADERS }
  if (error.code === 'ERR_STORE_UNAVAILABLE') extra['retry-after'] = '1'
  if (request && wantsPage(request)) return html(errorPageHtml(error, request), error.status, extra)
  return json({ error: error.code, message: error.message }, error.status, extra)
}

/** A {@link LightResponse}: the adapters write it without building Fetch objects; read as a `Response` it becomes one. */
function withHeaders(status: number, body: string | null, headers: Record<string, string | string[]>): Response {
  const { fields, cookies } = splitHeaders(headers)
  return new LightResponse(status, fields, body, cookies)
}
