// Logout tokens as the hub's back-channel logout sends them (OpenID Connect
// Back-Channel Logout 1.0), signed with a real key ring made by the
// project's own key code, plus the variations an attacker would try.
import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import type { KeyRing } from '../../src/keys/key-ring.js'

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/** What to put in a logout token; `undefined` leaves a claim out, every field can be overridden. */
export interface LogoutTokenOptions {
  issuer: string
  /** The receiving app's client id. */
  audience: string | string[]
  sid?: string
  sub?: string
  /** JOSE header `typ`; `logout+jwt` by default. */
  typ?: string
  /** The whole claim set is `claims` merged over the defaults (null deletes a default). */
  claims?: Record<string, unknown>
  /** Milliseconds since the epoch; now by default. */
  now?: number
  ttlSeconds?: number
}

/**
 * A signed logout token: `iss`, `aud`, `iat`, `exp` (2 minutes, as
 * oidc-provider sends), a random `jti`, the back-channel logout event,
 * and `sid` / `sub` when given.
 */
export async function signLogoutToken(ring: KeyRing, options: LogoutTokenOptions): Promise<string> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000)
  const claims: Record<string, unknown> = {
    iss: options.issuer,
    aud: options.audience,
    iat,
    exp: iat + (options.ttlSeconds ?? 120),
    jti: randomBytes(16).toString('base64url'),
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  }
  if (options.sid !== undefined) claims.sid = options.sid
  if (options.sub !== undefined) claims.sub = options.sub
  for (const [name, value] of Object.entries(options.claims ?? {})) {
    if (value === null) delete claims[name]
    else claims[name] = value
  }
  const { alg, kid, key } = ring.signer
  return new SignJWT(claims).setProtectedHeader({ alg, kid, typ: options.typ ?? 'logout+jwt' }).sign(key)
}

/** POST a logout token to an app's back-channel logout endpoint, form-encoded, as the hub does. */
export function postLogoutToken(url: string, token: string | string[], contentType = 'application/x-www-form-urlencoded'): Promise<Response> {
  const body = new URLSearchParams()
  for (const t of Array.isArray(token) ? token : [token]) body.append('logout_token', t)
  return fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': contentType }, body: body.toString() })
}
