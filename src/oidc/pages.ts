import { html } from '../http/respond.js'
import { escapeHtml } from '../lib/html.js'
import { layout } from '../hub/pages/layout.js'

/**
 * The page for an OpenID Connect error shown to a person (a bad redirect
 * URI, an expired sign-in): never redirected to an unverified app.
 *
 * @example
 * ```ts
 * return oidcErrorPage('invalid_request', 'redirect_uri did not match any of the registered ones', 400)
 * ```
 */
export function oidcErrorPage(code: string, message: string, status: number): Response {
  return html(layout('Sign-in failed', `<h1>Sign-in failed</h1><p class="error" data-testid="error">${escapeHtml(message)}</p><p class="sub"><code>${escapeHtml(code)}</code></p><p class="sub">Go back to the app and start again.</p>`), status)
}

/**
 * The sign-out confirmation an app's "sign out" lands on. Confirming is a
 * POST with the provider's anti-forgery token, so a third-party page cannot
 * sign anybody out; it ends the hub session, and with it every site's.
 *
 * @example
 * ```ts
 * logoutPage('<form id="op.logoutForm" …>…</form>', 'Grafana')
 * ```
 */
export function logoutPage(form: string, clientName: string | null): string {
  const who = clientName ? ` from <strong>${escapeHtml(clientName)}</strong>` : ''
  return layout('Sign out', `<h1>Sign out?</h1><p class="sub">You asked to sign out${who}. This signs you out of every site that shares this sign-in on this device.</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" data-testid="confirm-logout">Sign out</button>`)
}

/**
 * The page after a sign-out when the app gave no address to return to.
 *
 * @example
 * ```ts
 * signedOutPage()
 * ```
 */
export function signedOutPage(): string {
  return layout('Signed out', '<h1>Signed out</h1><p class="sub" data-testid="signed-out">You are signed out of every site.</p>')
}
