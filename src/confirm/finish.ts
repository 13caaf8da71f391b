import { SharedSessionError } from '../errors/shared-session-error.js'
import { clearCookie, readCookie } from '../http/cookies.js'
import type { RequestHead } from '../http/request-head.js'
import { redirect } from '../http/respond.js'
import { bindingCookie, tokenStanding } from './binding.js'
import { CONFIRMATION_PARAM, type ConfirmationClaims } from './claims.js'
import type { ConfirmCookies } from './cookies.js'

/** Options of {@link finishConfirmation}. */
export interface FinishConfirmationOptions {
  cookies: ConfirmCookies
  /** Verify the confirmation against this browser's state (see `verifyConfirmation`). */
  verify: (confirmation: string, state: string) => Promise<ConfirmationClaims>
  /** The `sid` of the valid token this request carries, or null. */
  tokenSid: string | null
}

/**
 * The app's confirmation callback (`GET {callbackPath}?return=…&ss-confirm=…`):
 * checks the hub's answer against this browser's state cookie, records it
 * in the host-only binding cookie, clears the state and goes back to the
 * page (a path on this app). A missing state (another browser's link, or
 * cookies off) is `ERR_CONFIRMATION_STATE`; a bad answer
 * `ERR_CONFIRMATION_INVALID`. Nothing is recorded then.
 *
 * @example
 * ```ts
 * if (url.pathname === '/_session/confirm') return finishConfirmation(request, { cookies, verify, tokenSid: claims?.sid ?? null })
 * ```
 */
export async function finishConfirmation(request: RequestHead, options: FinishConfirmationOptions): Promise<Response> {
  const url = new URL(request.url)
  const back = url.searchParams.get('return') ?? '/'
  // A path on this app only: never another origin, a scheme-relative //host, a backslash or a control
  // character (browsers drop tabs and newlines, so "/\t/evil.com" would be "//evil.com").
  const safeBack = /^\/(?![/\\])[\x21-\x7e]*$/.test(back) && !back.includes('\\') && back.length <= 2048 ? back : '/'
  const headers = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }
  // The second of two tabs that went together: the first one's answer already confirmed this token. Nothing to record.
  if (options.tokenSid !== null && tokenStanding(request, options.cookies, options.tokenSid) === 'confirmed') return redirect(safeBack, headers, 302)
  const state = readCookie(request, options.cookies.state.name)
  if (!state) throw new SharedSessionError('ERR_CONFIRMATION_STATE', 'this browser did not ask for a confirmation (no state cookie: another browser\'s link, or cookies are off)', { detail: options.cookies.state.name })
  const confirmation = url.searchParams.get(CONFIRMATION_PARAM)
  if (!confirmation) throw new SharedSessionError('ERR_CONFIRMATION_INVALID', `the ${CONFIRMATION_PARAM} parameter is missing`, { detail: CONFIRMATION_PARAM })
  const claims = await options.verify(confirmation, state)
  const cookies = [bindingCookie(options.cookies, claims.sid ?? null, options.tokenSid), clearCookie(options.cookies.state)]
  return redirect(safeBack, { ...headers, 'set-cookie': cookies }, 302)
}
