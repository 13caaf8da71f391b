import { jwtVerify, type JWTPayload } from 'jose'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { ErrorCode } from '../errors/codes.js'
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../keys/config.js'
import type { VerificationKeys } from '../keys/verification-keys.js'
import { decodeBase64url, isBase64url } from '../lib/base64url.js'
import { LOGIN_TOKEN_TYPE, type LoginClaims } from './claims.js'

/** Options of {@link verifyLoginToken}. */
export interface VerifyLoginTokenOptions {
  /** The hub's issuer; tokens from any other issuer are refused. */
  issuer: string
  /** This app's audience; the token's `aud` must contain it. */
  audience: string
  /** Algorithms accepted at all (each key also pins its own). Default: EdDSA, ES256, HS256. */
  algorithms?: readonly SigningAlgorithm[]
  /** Allowed clock difference for `exp`, `nbf` and `iat`, in seconds. Default 30. */
  clockToleranceSeconds?: number
  /** Longest accepted `exp - iat`, in seconds. Default one day. */
  maxLifetimeSeconds?: number
  /** Milliseconds since the epoch; `Date.now()` by default. */
  now?: number
}

/** Tokens larger than this are refused before any parsing. */
const MAX_TOKEN_LENGTH = 8192
const REQUIRED = ['iss', 'aud', 'sub', 'iat', 'exp', 'jti'] as const

/**
 * Verify a login token and return its claims, or throw a
 * `SharedSessionError` whose code names exactly what was wrong. Keys come
 * only from `keys` (configuration or the hub's JWKS); `jku`, `jwk`, `x5u`
 * and `x5c` headers are never read.
 *
 * @example
 * ```ts
 * const claims = await verifyLoginToken(ring.verification, cookieValue, {
 *   issuer: 'https://auth.acme.com', audience: 'acme.com',
 * })
 * claims.username // 'alice'
 * ```
 */
export async function verifyLoginToken(
  keys: VerificationKeys,
  token: unknown,
  options: VerifyLoginTokenOptions,
): Promise<LoginClaims> {
  const now = options.now ?? Date.now()
  const tolerance = options.clockToleranceSeconds ?? 30
  const header = readHeader(token)
  const allowed = options.algorithms ?? SIGNING_ALGORITHMS
  if (typeof header.alg !== 'string' || !allowed.includes(header.alg as SigningAlgorithm)) {
    throw fail('ERR_TOKEN_ALGORITHM', `algorithm ${JSON.stringify(header.alg)} is not allowed`, 'alg')
  }
  if (header.typ !== LOGIN_TOKEN_TYPE) throw fail('ERR_TOKEN_TYPE', `typ must be "${LOGIN_TOKEN_TYPE}"`, 'typ')
  const key = typeof header.kid === 'string' ? keys.get(header.kid) : undefined
  if (!key) throw fail('ERR_TOKEN_KEY_UNKNOWN', `no trusted key with kid ${JSON.stringify(header.kid)}`, 'kid')
  if (key.alg !== header.alg) throw fail('ERR_TOKEN_ALGORITHM', `key "${key.kid}" only verifies ${key.alg}`, 'alg')

  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(token as string, key.key, {
      algorithms: [key.alg],
      typ: LOGIN_TOKEN_TYPE,
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: tolerance,
      currentDate: new Date(now),
      requiredClaims: [...REQUIRED],
    }))
  } catch (err) {
    throw fromJose(err)
  }
  return checkClaims(payload, now / 1000, tolerance, options.maxLifetimeSeconds ?? 86_400)
}

function readHeader(token: unknown): Record<string, unknown> {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw fail('ERR_TOKEN_MALFORMED', 'token must be a compact JWT string')
  const parts = token.split('.')
  // Every part canonical: jose's decoder (atob) also takes padding, whitespace and stray low bits, so one token would have many spellings.
  const bytes = parts.length === 3 && parts.every(isBase64url) ? decodeBase64url(parts[0]!) : null
  if (!bytes) throw fail('ERR_TOKEN_MALFORMED', 'token must be three base64url parts')
  try {
    const header: unknown = JSON.parse(bytes.toString('utf8'))
    if (header && typeof header === 'object' && !Array.isArray(header)) return header as Record<string, unknown>
  } catch {
    // fall through to the one error below
  }
  throw fail('ERR_TOKEN_MALFORMED', 'token header is not a JSON object')
}

function checkClaims(p: JWTPayload, nowSeconds: number, tolerance: number, maxLifetime: number): LoginClaims {
  for (const claim of ['iat', 'exp', 'nbf'] as const) {
    const value = p[claim]
    if (value !== undefined && !Number.isSafeInteger(value)) throw fail('ERR_TOKEN_CLAIM_INVALID', `${claim} must be a whole number of seconds`, claim)
  }
  const { iat, exp } = p as { iat: number; exp: number }
  if (iat > nowSeconds + tolerance) throw fail('ERR_TOKEN_NOT_YET_VALID', 'token was issued in the future', 'iat')
  if (exp - iat > maxLifetime || exp <= iat) throw fail('ERR_TOKEN_CLAIM_INVALID', 'token lifetime is out of bounds', 'exp')
  for (const claim of ['sub', 'jti', 'sid', 'username'] as const) {
    const value = p[claim]
    if (typeof value !== 'string' || value === '' || value.length > 512) throw fail('ERR_TOKEN_CLAIM_INVALID', `${claim} must be a non-empty string`, claim)
  }
  for (const claim of ['email', 'name'] as const) {
    if (p[claim] !== undefined && typeof p[claim] !== 'string') throw fail('ERR_TOKEN_CLAIM_INVALID', `${claim} must be a string`, claim)
  }
  return p as unknown as LoginClaims
}

const CLAIM_CODES: Record<string, ErrorCode> = {
  iss: 'ERR_TOKEN_ISSUER',
  aud: 'ERR_TOKEN_AUDIENCE',
  nbf: 'ERR_TOKEN_NOT_YET_VALID',
  typ: 'ERR_TOKEN_TYPE',
}

function fromJose(err: unknown): SharedSessionError {
  const e = err as { code?: string; claim?: string; reason?: string; message?: string }
  switch (e.code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return fail('ERR_TOKEN_SIGNATURE', 'token signature is not valid', undefined, err)
    case 'ERR_JWT_EXPIRED':
      return fail('ERR_TOKEN_EXPIRED', 'token has expired', 'exp', err)
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return fail('ERR_TOKEN_ALGORITHM', 'token algorithm is not allowed', 'alg', err)
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = e.claim ?? 'unknown'
      const code = e.reason === 'check_failed' || claim === 'iss' || claim === 'aud' ? CLAIM_CODES[claim] : undefined
      return fail(code ?? 'ERR_TOKEN_CLAIM_INVALID', `token claim "${claim}" is not valid: ${e.message}`, claim, err)
    }
    default:
      return fail('ERR_TOKEN_MALFORMED', `token is malformed: ${e.message ?? 'unknown error'}`, undefined, err)
  }
}

function fail(code: ErrorCode, message: string, detail?: string, cause?: unknown): SharedSessionError {
  return new SharedSessionError(code, message, { detail, cause })
}
