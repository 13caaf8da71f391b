import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import type { KeyRing } from '../keys/key-ring.js'

/** The `events` member that makes a JWT a logout token (Back-Channel Logout 1.0). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/**
 * Sign an OpenID Connect Back-Channel Logout 1.0 logout token with the hub's
 * signing key: `typ: logout+jwt`; `iss`, `aud` (the client), `iat`, `exp`
 * (two minutes), `jti`, `events`, `sub` and `sid` (left out for all of the
 * user's sessions); never a `nonce`.
 *
 * @example
 * ```ts
 * const token = await signLogoutToken(ring, { issuer, clientId: 'grafana', sub: 'u_42', sid })
 * ```
 */
export async function signLogoutToken(ring: KeyRing, claims: { issuer: string; clientId: string; sub: string; sid?: string; now?: number }): Promise<string> {
  const iat = Math.floor((claims.now ?? Date.now()) / 1000)
  // Without a sid the token means "every session of this user" (a sign-out everywhere).
  return new SignJWT({ events: { [BACKCHANNEL_LOGOUT_EVENT]: {} }, ...(claims.sid === undefined ? {} : { sid: claims.sid }) })
    .setProtectedHeader({ alg: ring.signer.alg, kid: ring.signer.kid, typ: 'logout+jwt' })
    .setIssuer(claims.issuer)
    .setAudience(claims.clientId)
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 120)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(ring.signer.key)
}

/** How hard the hub tries to reach an app's back-channel logout endpoint. */
export interface BackchannelPolicy {
  /** Tries in all. Default 3. */
  attempts: number
  /** Per try. Default 2500 ms. */
  timeoutMs: number
  /** Wait before the second try; doubled for each next one. Default 500 ms. */
  backoffMs: number
}

/** 3 tries in at most 2.5 + 0.5 + 2.5 + 1 + 2.5 = 9 s. */
export const DEFAULT_BACKCHANNEL_POLICY: BackchannelPolicy = { attempts: 3, timeoutMs: 2500, backoffMs: 500 }

/**
 * POST a logout token to an app, server to server, retried with exponential
 * backoff and bounded in time. Resolves true when the app answered 200 or
 * 204; false (logged) when every try failed. Never throws: a sign-out must
 * not fail because an app is down.
 *
 * @example
 * ```ts
 * void deliverLogoutToken('https://app.acme.com/backchannel-logout', token, DEFAULT_BACKCHANNEL_POLICY, console.error)
 * ```
 */
export async function deliverLogoutToken(uri: string, token: string, policy: BackchannelPolicy, log: (message: string) => void): Promise<boolean> {
  let last = ''
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    try {
      const response = await fetch(uri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store' },
        body: new URLSearchParams({ logout_token: token }).toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(policy.timeoutMs),
      })
      await response.body?.cancel()
      if (response.status === 200 || response.status === 204) return true
      last = `HTTP ${response.status}`
      // 400 means the app refused this token: asking again will not change its mind.
      if (response.status === 400) break
    } catch (err) {
      last = (err as Error).name === 'TimeoutError' ? `no answer in ${policy.timeoutMs} ms` : (err as Error).message
    }
    if (attempt < policy.attempts) await new Promise((resolve) => setTimeout(resolve, policy.backoffMs * 2 ** (attempt - 1)))
  }
  log(`shared-session: back-channel logout to ${uri} failed (${last})`)
  return false
}
