import type { LoginClaims } from './claims.js'

/**
 * The user as forward-auth response headers: `X-Auth-User`, `X-Auth-Sub`,
 * `X-Auth-Email`, `X-Auth-Name`. Header values must be ASCII, so every value
 * is percent-encoded UTF-8 where needed (`Zoë` → `Zo%C3%AB`; plain ASCII is
 * unchanged except `%`): decode with `decodeURIComponent`.
 *
 * @example
 * ```ts
 * userHeaders(claims) // { 'x-auth-user': 'alice', 'x-auth-sub': 'u_…', 'x-auth-email': 'alice@acme.com', 'x-auth-name': 'Alice' }
 * ```
 */
export function userHeaders(claims: LoginClaims): Record<string, string> {
  const headers: Record<string, string> = { 'x-auth-user': encode(claims.username), 'x-auth-sub': encode(claims.sub) }
  if (claims.email) headers['x-auth-email'] = encode(claims.email)
  if (claims.name) headers['x-auth-name'] = encode(claims.name)
  return headers
}

function encode(value: string): string {
  return value.replace(/[^\x20-\x24\x26-\x7e]+/gu, (s) => encodeURIComponent(s))
}
