import { escapeHtml } from '../lib/html.js'
import type { MemberSession } from '../member/session-handle.js'

/** Where each demo site sits, for links and wording. */
export interface DemoSite {
  name: string
  label: string
  origin: string
  /** Shops sell things: they have the cart form. */
  shop: boolean
}

const HOW: Record<string, string> = {
  new: 'this site started the session',
  push: 'this site got the session by push (a script on another site’s page, no redirect)',
  pull: 'this site got the session by a redirect through the hub',
  login: 'this site got the session when you signed in here',
  token: 'this site got the session from the hub’s signed token on the parent domain',
}

const STYLE = `*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f4f5f7}
header{background:var(--c);color:#fff;padding:1rem 1.5rem}header h1{margin:0;font-size:1.3rem}header small{opacity:.85}
nav{display:flex;gap:.5rem;flex-wrap:wrap;padding:.75rem 1.5rem;background:#fff;border-bottom:1px solid #e3e6ec}
nav a{padding:.3rem .7rem;border-radius:999px;text-decoration:none;color:#1d2330;background:#eef1f7;font-size:.9rem}nav a.here{background:var(--c);color:#fff}
main{max-width:44rem;margin:1.5rem auto;padding:0 1rem}section{background:#fff;border-radius:12px;padding:1.25rem 1.5rem;margin-bottom:1rem;box-shadow:0 1px 2px rgba(0,0,0,.06)}
dl{display:grid;grid-template-columns:8rem 1fr;gap:.4rem 1rem;margin:0}dt{color:#5b6475}dd{margin:0;font-weight:600}
.story{background:#fff8e6;border-left:4px solid #f0b429;padding:.75rem 1rem;border-radius:8px}
form{display:inline-flex;gap:.5rem;margin:.25rem .5rem .25rem 0}input{padding:.45rem .6rem;border:1px solid #c9ceda;border-radius:8px;font:inherit}
button,.button{padding:.45rem .9rem;border:0;border-radius:8px;background:var(--c);color:#fff;font:inherit;cursor:pointer;text-decoration:none;display:inline-block}
button.quiet{background:#eef1f7;color:#1d2330}`

const COLORS: Record<string, string> = { hub: '#3d6df2', forum: '#7c3aed', shop: '#0f8a5f', 'shop-de': '#c2410c' }

/**
 * A demo page: who, what is in the cart, how this site got its session, in
 * data-testid'd fields a browser test reads, and a sentence a person reads.
 *
 * @example
 * ```ts
 * res.end(demoPage({ site, sites, session, loginUrl, logoutAction: session.logoutAction('/'), csrf: session.csrfToken(), loader: session.loader() }))
 * ```
 */
export function demoPage(p: { site: DemoSite; sites: DemoSite[]; session: MemberSession; loginUrl: string; logoutAction: string; csrf: string; loader: string }): string {
  const { site, session } = p
  const cart = (session.get('cart') as string[] | undefined) ?? []
  const cartFrom = session.get('cartFrom') as string | undefined
  const via = session.via ?? 'new'
  const user = session.user?.username ?? 'anonymous'
  const fromLabel = p.sites.find((s) => s.name === cartFrom)?.label ?? cartFrom
  const how = HOW[via] ?? HOW.new!
  const story = !session.id
    ? 'No session yet: nothing has been shared with this site.'
    : cart.length > 0 && cartFrom && cartFrom !== site.name
      ? `This cart came from ${fromLabel}: ${how}.`
      : `${how[0]!.toUpperCase()}${how.slice(1)}.`
  const nav = p.sites.map((s) => `<a href="${escapeHtml(s.origin)}/"${s.name === site.name ? ' class="here"' : ''}>${escapeHtml(s.label)}</a>`).join('')
  const cartForm = site.shop
    ? `<form method="post" action="/cart"><input type="hidden" name="csrf" value="${escapeHtml(p.csrf)}"><input name="item" placeholder="teapot" required aria-label="item" data-testid="item"><button type="submit" data-testid="add">Add to cart</button></form>`
    : ''
  const account = session.user
    ? `<form method="post" action="${escapeHtml(p.logoutAction)}"><button type="submit" class="quiet" data-testid="logout">Sign out</button></form>`
    : `<a class="button" href="${escapeHtml(p.loginUrl)}" data-testid="login">Sign in at the hub</a>`
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(site.label)}</title><style>${STYLE}</style></head>
<body style="--c:${COLORS[site.name] ?? '#334155'}">
<header><h1 data-testid="site">${escapeHtml(site.name)}</h1><small>${escapeHtml(site.label)}</small></header>
<nav>${nav}</nav>
<main>
<section><dl>
<dt>Signed in as</dt><dd data-testid="user">${escapeHtml(user)}</dd>
<dt>Cart</dt><dd data-testid="cart">${escapeHtml(cart.join(','))}</dd>
<dt>Session via</dt><dd data-testid="via">${escapeHtml(session.id ? via : 'new')}</dd>
</dl></section>
<p class="story" data-testid="story">${escapeHtml(story)}</p>
<section>${cartForm}${account}</section>
</main>${p.loader}</body></html>`
}
