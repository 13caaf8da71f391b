import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import type { KeyRing } from '../keys/key-ring.js'
import { CONFIRMATION_TYPE } from './claims.js'

/** Options of {@link signConfirmation}. */
export interface SignConfirmationOptions {
  issuer: string
  /** The app's origin, e.g. `https://forum.acme.com`. */
  audience: string
  /** The app's state, echoed so the app knows the answer is for this browser. */
  nonce: string
  /** The hub's signed-in session in this browser, or null. */
  sid: string | null
  /** Milliseconds since the epoch. */
  now: number
}

/** A confirmation lives a minute: it travels once, in a redirect. */
export const CONFIRMATION_TTL_SECONDS = 60

/**
 * Sign the hub's answer to a token-only app's confirmation request with
 * the ring's newest key (`typ` {@link CONFIRMATION_TYPE}).
 *
 * @example
 * ```ts
 * const jwt = await signConfirmation(ring, { issuer, audience: 'https://forum.acme.com', nonce: state, sid: session.id, now: Date.now() })
 * ```
 */
export async function signConfirmation(ring: KeyRing, options: SignConfirmationOptions): Promise<string> {
  const iat = Math.floor(options.now / 1000)
  const claims: Record<string, unknown> = { nonce: options.nonce }
  if (options.sid !== null) claims.sid = options.sid
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ring.signer.alg, kid: ring.signer.kid, typ: CONFIRMATION_TYPE })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + CONFIRMATION_TTL_SECONDS)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(ring.signer.key)
}
