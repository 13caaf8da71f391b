/**
 * The JOSE `typ` header of a login token. Checked on verify, so no other
 * JWT signed by the same key (an access token, an ID token) passes as one.
 */
export const LOGIN_TOKEN_TYPE = 'shared-session+jwt'

/**
 * The claims of a login token. `sid` is a public reference to the global
 * session, for revocation checks; it is not a cookie value and opens nothing.
 *
 * @example
 * ```ts
 * const claims: LoginClaims = {
 *   iss: 'https://auth.acme.com', aud: 'acme.com', sub: 'u_42', iat, exp, jti,
 *   sid, username: 'alice', email: 'alice@acme.com', name: 'Alice',
 * }
 * ```
 */
export interface LoginClaims {
  iss: string
  aud: string | string[]
  sub: string
  iat: number
  exp: number
  nbf?: number
  jti: string
  sid: string
  username: string
  email?: string
  name?: string
}
