import { escapeHtml } from '../../lib/html.js'
import type { SessionUser } from '../../stores/store.js'
import { layout } from './layout.js'

/**
 * The hub's home: who is signed in, a link to "Your sessions", with "sign
 * out" and "sign out everywhere", or a link to sign in.
 *
 * @example
 * ```ts
 * homePage({ title: 'Acme', user, base: '', csrf })
 * ```
 */
export function homePage(p: { title: string; user: SessionUser | null; base: string; csrf: string }): string {
  if (!p.user) {
    return layout(p.title, `<h1>${escapeHtml(p.title)}</h1><p class="sub" data-testid="user">anonymous</p>
<form method="get" action="${escapeHtml(p.base)}/login"><button type="submit">Sign in</button></form>`)
  }
  const who = p.user.name ? `${p.user.name} (${p.user.username})` : p.user.username
  return layout(
    p.title,
    `<h1>${escapeHtml(p.title)}</h1>
<p class="who">Signed in as <strong data-testid="user">${escapeHtml(p.user.username)}</strong><br><small>${escapeHtml(who)}${p.user.email ? ` · ${escapeHtml(p.user.email)}` : ''}</small></p>
<p class="sub"><a href="${escapeHtml(p.base)}/sessions" data-testid="sessions-link">Your sessions</a>: your devices and the sites signed in on each.</p>
<form method="post" action="${escapeHtml(p.base)}/logout"><input type="hidden" name="csrf" value="${escapeHtml(p.csrf)}"><button type="submit">Sign out</button></form>
<form method="post" action="${escapeHtml(p.base)}/logout/everywhere"><input type="hidden" name="csrf" value="${escapeHtml(p.csrf)}"><button class="secondary" type="submit">Sign out on every device</button></form>`,
  )
}
