import { decodeProtectedHeader, jwtVerify } from 'jose'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { VerificationKeys } from '../keys/verification-keys.js'
import { CONFIRMATION_TYPE, type ConfirmationClaims } from './claims.js'

/** Options of {@link verifyConfirmation}. */
export interface VerifyConfirmationOptions {
  issuer: string
  /** This app's origin: a confirmation for another app is refused. */
  audience: string
  /** The state from this browser's state cookie. */
  nonce: string
  /** Milliseconds since the epoch. */
  now: number
}

/**
 * Verify the hub's confirmation for this app and this browser. Throws
 * `ERR_TOKEN_KEY_UNKNOWN` for a key not (yet) known, so a JWKS client can
 * refetch once, and `ERR_CONFIRMATION_INVALID` for anything else: a bad
 * signature, another `typ`, issuer or audience, an expired answer, or a
 * `nonce` that is not this browser's state.
 *
 * @example
 * ```ts
 * const { sid } = await verifyConfirmation(keys, jwt, { issuer, audience: origin, nonce: stateCookie, now: Date.now() })
 * ```
 */
export async function verifyConfirmation(keys: VerificationKeys, token: string, options: VerifyConfirmationOptions): Promise<ConfirmationClaims> {
  let kid: unknown
  try {
    if (token.length > 4096) throw new Error('too long')
    kid = decodeProtectedHeader(token).kid
  } catch {
    throw invalid('the confirmation is not a compact JWT')
  }
  const key = typeof kid === 'string' ? keys.get(kid) : undefined
  if (!key) throw new SharedSessionError('ERR_TOKEN_KEY_UNKNOWN', `no trusted key with kid ${JSON.stringify(kid)}`, { detail: 'kid' })
  let payload
  try {
    ;({ payload } = await jwtVerify(token, key.key, {
      algorithms: [key.alg],
      typ: CONFIRMATION_TYPE,
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: 30,
      currentDate: new Date(options.now),
      requiredClaims: ['iat', 'exp', 'jti', 'nonce'],
    }))
  } catch (err) {
    throw invalid(`the confirmation does not verify: ${(err as Error).message}`)
  }
  if (payload.nonce !== options.nonce) throw invalid('the confirmation was asked for by another browser (its state is not this browser\'s)')
  if (payload.sid !== undefined && (typeof payload.sid !== 'string' || payload.sid === '' || payload.sid.length > 512)) throw invalid('sid must be a string')
  return payload as unknown as ConfirmationClaims
}

function invalid(message: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIRMATION_INVALID', message, { detail: 'ss-confirm' })
}
