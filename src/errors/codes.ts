/**
 * Every stable error code shared-session raises, with the HTTP status the
 * web layer answers for it. Callers `switch (err.code)`; the strings never
 * change meaning once released.
 *
 * Why one table: the HTTP layer maps codes to statuses in exactly one place,
 * so a new rejection cannot accidentally surface as a 500.
 *
 * @example
 * ```ts
 * import { ERROR_STATUS } from 'shared-session'
 * ERROR_STATUS.ERR_PAYLOAD_REPLAYED // 409
 * ```
 */
export const ERROR_STATUS = {
  // Configuration: raised at start-up, never per request.
  ERR_CONFIG_INVALID: 500,
  ERR_KEY_WEAK: 500,
  ERR_KEY_INVALID: 500,

  // Login tokens (JWT).
  ERR_TOKEN_MALFORMED: 400,
  ERR_TOKEN_TYPE: 401,
  ERR_TOKEN_ALGORITHM: 401,
  ERR_TOKEN_KEY_UNKNOWN: 401,
  ERR_TOKEN_SIGNATURE: 401,
  ERR_TOKEN_ISSUER: 401,
  ERR_TOKEN_AUDIENCE: 401,
  ERR_TOKEN_EXPIRED: 401,
  ERR_TOKEN_NOT_YET_VALID: 401,
  ERR_TOKEN_CLAIM_INVALID: 401,
  ERR_TOKEN_REVOKED: 401,

  // Cross-site handoff payloads (push and pull).
  ERR_PAYLOAD_MALFORMED: 400,
  ERR_PAYLOAD_VERSION: 400,
  ERR_PAYLOAD_KEY_UNKNOWN: 400,
  ERR_PAYLOAD_INVALID: 400,
  ERR_PAYLOAD_WRONG_DESTINATION: 403,
  ERR_PAYLOAD_UNKNOWN_SOURCE: 403,
  ERR_PAYLOAD_EXPIRED: 410,
  ERR_PAYLOAD_FROM_FUTURE: 400,
  ERR_PAYLOAD_LIFETIME: 400,
  ERR_PAYLOAD_BINDING: 403,
  ERR_PAYLOAD_REPLAYED: 409,
  /** A push whose Referer/Origin is not a configured site (or is missing). */
  ERR_PAYLOAD_ORIGIN: 403,
  /** A request whose Sec-Fetch-Dest does not fit the transport (a push opened as a page or an image). */
  ERR_TRANSPORT: 400,
  /** The push needs a secure origin (https or *.localhost): SameSite=None cookies must be Secure. */
  ERR_PUSH_DISABLED: 404,

  // Sessions.
  ERR_SESSION_NOT_FOUND: 404,
  ERR_SESSION_DATA_INVALID: 400,

  // HTTP requests to the hub and members.
  ERR_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_BODY_TOO_LARGE: 413,
  ERR_CSRF: 403,
  ERR_RETURN_URL: 400,
  ERR_LOGIN_FAILED: 401,
  ERR_RATE_LIMITED: 429,
  ERR_NOT_AUTHENTICATED: 401,
  /** Two cookies of one of our names in a request (a sibling subdomain tossed one): no credential. */
  ERR_COOKIE_DUPLICATE: 400,
  /** A write from a request that could not carry the site's session cookie (a cross-site POST, a subresource). */
  ERR_CROSS_SITE_REQUEST: 403,
  /** A valid parent-domain token the hub has not vouched for in this browser (a token-only app confirms it first). */
  ERR_TOKEN_UNCONFIRMED: 401,
  /** A confirmation callback without this browser's state cookie (another browser's link, or cookies off). */
  ERR_CONFIRMATION_STATE: 400,
  /** A confirmation that does not verify, is for another app or another browser, or has expired. */
  ERR_CONFIRMATION_INVALID: 400,

  // A consumer cannot fetch the hub's JWKS (hub down or unreachable).
  ERR_JWKS_UNAVAILABLE: 503,
  /** A consumer that must ask the hub (a required revocation check) cannot reach it. */
  ERR_HUB_UNAVAILABLE: 503,

  // Stores: the backing store is down, locked or read-only.
  ERR_STORE_UNAVAILABLE: 503,
} as const satisfies Record<string, number>

/**
 * A stable shared-session error code.
 *
 * @example
 * ```ts
 * const code: ErrorCode = 'ERR_TOKEN_EXPIRED'
 * ```
 */
export type ErrorCode = keyof typeof ERROR_STATUS
