/**
 * The JOSE `typ` of a confirmation: the hub's signed answer to "which
 * session does this browser hold?". Checked on verify, so no login token,
 * ID token or access token passes as one, nor one as them.
 */
export const CONFIRMATION_TYPE = 'shared-session-confirm+jwt'

/**
 * The claims of a confirmation. `aud` is the app's origin, `nonce` the
 * state the app set in its host-only state cookie before sending the
 * browser, `sid` the hub's signed-in session in that browser (absent when
 * there is none). It lives a minute and travels in a URL once.
 *
 * @example
 * ```ts
 * const claims: ConfirmationClaims = { iss: 'https://auth.acme.com', aud: 'https://forum.acme.com', iat, exp, jti, nonce, sid }
 * ```
 */
export interface ConfirmationClaims {
  iss: string
  aud: string
  iat: number
  exp: number
  jti: string
  nonce: string
  sid?: string
}

/** The query parameter that carries a confirmation back to the app. */
export const CONFIRMATION_PARAM = 'ss-confirm'
