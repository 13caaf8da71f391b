import { escapeHtml } from '../../lib/html.js'
import { layout } from './layout.js'

/**
 * The login form. `error` is shown as given: the hub passes only its one
 * generic message, so the page never tells which part was wrong.
 *
 * @example
 * ```ts
 * loginPage({ title: 'Sign in', action: '/login', csrf, returnTo: '/forum', error: null, username: '' })
 * ```
 */
export function loginPage(p: { title: string; action: string; csrf: string; returnTo: string | null; error: string | null; username: string }): string {
  return layout(
    p.title,
    `<h1>${escapeHtml(p.title)}</h1>
<p class="sub">One account for every site.</p>
${p.error ? `<p class="error" role="alert" data-testid="login-error">${escapeHtml(p.error)}</p>` : ''}
<form method="post" action="${escapeHtml(p.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(p.csrf)}">
${p.returnTo ? `<input type="hidden" name="return" value="${escapeHtml(p.returnTo)}">` : ''}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required autofocus value="${escapeHtml(p.username)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  )
}
