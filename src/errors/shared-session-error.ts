import { ERROR_STATUS, type ErrorCode } from './codes.js'

/**
 * The one error class of shared-session. Every rejection carries a stable
 * `code`; `status` is the HTTP status the web layer answers with; `detail`
 * names the claim, field or setting at fault when there is one.
 *
 * @example
 * ```ts
 * try {
 *   await verifyLoginToken(ring, token, { issuer, audience })
 * } catch (err) {
 *   if (err instanceof SharedSessionError && err.code === 'ERR_TOKEN_EXPIRED') redirectToRefresh()
 *   else throw err
 * }
 * ```
 */
export class SharedSessionError extends Error {
  /** Stable machine-readable code, e.g. `ERR_PAYLOAD_REPLAYED`. */
  readonly code: ErrorCode
  /** HTTP status for this code (4xx for bad input, 503 for a store that is down). */
  readonly status: number
  /** The claim, field or option at fault, when there is one. */
  readonly detail: string | undefined

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; detail?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SharedSessionError'
    this.code = code
    this.status = ERROR_STATUS[code]
    this.detail = options.detail
  }
}

/**
 * True when `err` is a {@link SharedSessionError}, optionally with the given code.
 *
 * @example
 * ```ts
 * if (isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE')) return new Response(null, { status: 503 })
 * ```
 */
export function isSharedSessionError(err: unknown, code?: ErrorCode): err is SharedSessionError {
  return err instanceof SharedSessionError && (code === undefined || err.code === code)
}
