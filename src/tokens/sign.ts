import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { KeyRing } from '../keys/key-ring.js'
import type { SessionUser } from '../stores/store.js'
import { LOGIN_TOKEN_TYPE } from './claims.js'

/** Options of {@link signLoginToken}. */
export interface SignLoginTokenOptions {
  issuer: string
  audience: string | string[]
  user: SessionUser
  /** The public reference of the global session the token stands for. */
  sid: string
  /** Lifetime in seconds; 15 minutes by default: refreshed through the hub. */
  ttlSeconds?: number
  /** Milliseconds since the epoch; `Date.now()` by default. */
  now?: number
}

/**
 * Sign a login token with the ring's newest key: `typ`, `kid` and `alg` in
 * the header; `iss`, `aud`, `sub`, `iat`, `exp`, `jti`, `sid` and the user's
 * `username`, `email`, `name` in the claims.
 *
 * @example
 * ```ts
 * const token = await signLoginToken(ring, {
 *   issuer: 'https://auth.acme.com', audience: 'acme.com', sid: session.ref,
 *   user: { sub: 'u_42', username: 'alice', email: 'alice@acme.com' },
 * })
 * ```
 */
export async function signLoginToken(ring: KeyRing, options: SignLoginTokenOptions): Promise<string> {
  const ttl = options.ttlSeconds ?? 900
  if (!Number.isSafeInteger(ttl) || ttl <= 0) {
    throw new SharedSessionError('ERR_CONFIG_INVALID', `token ttlSeconds must be a positive whole number, got ${ttl}`, { detail: 'ttlSeconds' })
  }
  const iat = Math.floor((options.now ?? Date.now()) / 1000)
  if (!Number.isSafeInteger(iat) || iat < 0) throw new SharedSessionError('ERR_CONFIG_INVALID', `now must be a time after 1970, got ${options.now}`, { detail: 'now' })
  const { user } = options
  for (const [claim, value, required] of [['sub', user.sub, true], ['username', user.username, true], ['sid', options.sid, true], ['email', user.email, false], ['name', user.name, false]] as const) {
    if (value === undefined && !required) continue
    if (typeof value !== 'string' || value === '' || value.length > MAX_CLAIM_LENGTH) {
      throw new SharedSessionError('ERR_TOKEN_CLAIM_INVALID', `${claim} must be a string of 1 to ${MAX_CLAIM_LENGTH} characters`, { detail: claim })
    }
  }
  const claims: Record<string, unknown> = { sid: options.sid, username: user.username }
  if (user.email !== undefined) claims.email = user.email
  if (user.name !== undefined) claims.name = user.name
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: ring.signer.alg, kid: ring.signer.kid, typ: LOGIN_TOKEN_TYPE })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(user.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(ring.signer.key)
  // Browsers drop cookies over ~4 KiB silently: fail loudly here instead.
  if (token.length > MAX_TOKEN_COOKIE_LENGTH) {
    throw new SharedSessionError('ERR_TOKEN_CLAIM_INVALID', `the token is ${token.length} characters; a cookie holds at most ${MAX_TOKEN_COOKIE_LENGTH}`, { detail: 'size' })
  }
  return token
}

/** Same bound as verifyLoginToken applies, so every token signed is one that verifies. */
const MAX_CLAIM_LENGTH = 512
const MAX_TOKEN_COOKIE_LENGTH = 3800
