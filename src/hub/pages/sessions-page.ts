import { escapeHtml } from '../../lib/html.js'
import type { LinkVia, SessionUser } from '../../stores/store.js'
import { layout } from './layout.js'

/**
 * One device as "Your sessions" shows it. `ref` and each site's `ref` are
 * what the sign-out forms send back (never a session id or link hash).
 *
 * @example
 * ```ts
 * const row: DeviceRow = { ref, current: true, label: 'Firefox on Linux', browser: 'Firefox', address: '203.0.113.7', firstSeen, lastSeen, sites: [] }
 * ```
 */
export interface DeviceRow {
  ref: string
  current: boolean
  label: string
  browser: string
  address: string | null
  firstSeen: number
  lastSeen: number
  sites: Array<{ ref: string; site: string; host: string | null; via: LinkVia; at: number }>
}

/** How a site got the session, in words (the badge shows the `via` itself). */
export const VIA_MEANING: Readonly<Record<LinkVia, string>> = {
  login: 'signed in here',
  push: 'shared by script push',
  pull: 'redirect via the hub',
  token: 'from the token cookie',
  new: 'started here',
}

const STYLE = `
.devices{list-style:none;margin:0;padding:0;display:grid;gap:.9rem}
.device{border:1px solid #e2e6ee;border-radius:10px;padding:1rem 1rem .6rem}
.device.current{border-color:#3d6df2;box-shadow:0 0 0 1px #3d6df2 inset}
.device-head{display:flex;align-items:flex-start;gap:.85rem}
.mark{flex:none;width:2.4rem;height:2.4rem;border-radius:50%;display:grid;place-items:center;font-weight:700;color:#fff;background:#7a8499}
.mark.firefox{background:#e66000}.mark.chrome{background:#1a73e8}.mark.safari{background:#0fa3e8}.mark.edge{background:#0c8a7d}.mark.opera{background:#d0121b}
.what{flex:1;min-width:0}
.what strong{font-size:1.05rem}
.badge{display:inline-block;margin-left:.4rem;padding:.05rem .5rem;border-radius:99px;background:#e8eefe;color:#2a4fc4;font-size:.75rem;font-weight:600;vertical-align:2px}
.meta{color:#5b6475;font-size:.85rem}
.meta span{white-space:nowrap}
form.inline{margin:0}
button.small{width:auto;margin:0;padding:.35rem .8rem;font-size:.85rem;background:#eef1f7;color:#1d2330}
button.small.danger{background:#fdecec;color:#9b1c1c}
button.link{width:auto;margin:0;padding:0;background:none;color:#5b6475;font-weight:500;font-size:.8rem;text-decoration:underline}
button.link:hover{color:#9b1c1c}
.sites{width:100%;border-collapse:collapse;margin:.75rem 0 0;font-size:.9rem;table-layout:fixed}
.sites col.c-site{width:36%}.sites col.c-via{width:12%}.sites col.c-how{width:26%}.sites col.c-when{width:14%}.sites col.c-end{width:12%}
.sites td.site{overflow:hidden;text-overflow:ellipsis}
.sites td{padding:.4rem .25rem;border-top:1px solid #eef0f4;vertical-align:middle}
.sites td.site{font-weight:600}
.sites td.site small{display:block;font-weight:400;color:#8a92a3;font-size:.75rem}
.sites td.end,.sites td.when{text-align:right;white-space:nowrap}
.sites td.when{color:#8a92a3;font-size:.8rem}
.via{display:inline-block;min-width:3.2rem;text-align:center;padding:.05rem .45rem;border-radius:6px;font:600 .75rem/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef1f7;color:#3b4456}
.via.login{background:#e6f4ea;color:#1e6b34}.via.push{background:#fff4e0;color:#8a5300}.via.pull{background:#e8eefe;color:#2a4fc4}.via.token{background:#f3e8fd;color:#6b2fa8}
.how{color:#5b6475;font-size:.8rem}
.none{color:#8a92a3;font-size:.85rem;margin:.6rem 0 .2rem}
.everywhere{margin-top:1.25rem;display:flex;gap:.75rem;align-items:center;justify-content:space-between;flex-wrap:wrap}
.everywhere p{margin:0;color:#5b6475;font-size:.85rem;flex:1 1 14rem}
.everywhere form{margin:0}
.everywhere button{width:auto;margin:0;padding:.55rem 1rem;background:#c53030}
main.wide{margin:2rem 0}
a.back{color:#3d6df2;font-size:.9rem;text-decoration:none}
@media (max-width:36rem){
main.wide{padding:1.5rem 1rem 1rem;margin:.75rem 0}
.device{padding:.8rem .75rem .4rem}
.device-head{gap:.6rem}
.mark{width:2rem;height:2rem}
.sites,.sites tbody{display:block}
.sites colgroup{display:none}
.sites tr{display:grid;grid-template-columns:1fr auto auto;grid-template-areas:"site site via" "how when end";gap:.15rem .6rem;align-items:center;border-top:1px solid #eef0f4;padding:.5rem 0}
.sites td{border:0;padding:0}
.sites td.site{grid-area:site}.sites td.via-cell{grid-area:via}.sites td.how{grid-area:how}.sites td.when{grid-area:when}.sites td.end{grid-area:end}
.sites td.site small{display:inline;margin-left:.4rem}
}
`

/**
 * "Your sessions": every device of the signed-in user, the sites holding
 * each, and sign-out buttons for one device, one site on one device, or
 * everywhere. Every form carries the hub's CSRF token. `now` makes the
 * relative times ("5 minutes ago") deterministic.
 *
 * @example
 * ```ts
 * sessionsPage({ title: 'Acme', user, base: '', csrf, devices, now: Date.now() })
 * ```
 */
export function sessionsPage(p: { title: string; user: SessionUser; base: string; csrf: string; devices: DeviceRow[]; now: number }): string {
  const count = p.devices.length
  const body = `<h1>Your sessions</h1>
<p class="sub"><strong>${escapeHtml(p.user.username)}</strong> is signed in on ${count} device${count === 1 ? '' : 's'}. Sign out anything you do not recognise.</p>
<ul class="devices">${p.devices.map((d) => device(p, d)).join('')}</ul>
<div class="everywhere"><p>Lost a device? This signs you out of every site, on every device.</p>
${form(p, '/logout/everywhere', {}, '<button class="danger" type="submit" data-testid="everywhere">Sign out everywhere</button>')}</div>
<p style="margin:1rem 0 0"><a class="back" href="${escapeHtml(p.base)}/">← Back</a></p>`
  return layout(`Your sessions · ${p.title}`, body, { wide: true, style: STYLE })
}

function device(p: { base: string; csrf: string; now: number }, d: DeviceRow): string {
  const mark = `<div class="mark ${escapeHtml(d.browser.toLowerCase().split(' ')[0])}" aria-hidden="true">${escapeHtml(d.browser.slice(0, 1).toUpperCase())}</div>`
  const meta = [
    d.address ? escapeHtml(d.address) : null,
    `first seen ${when(d.firstSeen, p.now)}`,
    d.current ? 'active now' : `last seen ${when(d.lastSeen, p.now)}`,
  ].filter(Boolean).map((part) => `<span>${part}</span>`).join(' · ')
  const end = d.current
    ? form(p, '/logout', {}, '<button class="small" type="submit">Sign out</button>')
    : form(p, '/sessions/end', { session: d.ref }, '<button class="small danger" type="submit" data-testid="end-device">Sign out</button>')
  const rows = d.sites.map((s) => {
    // Signing the hub out of this very device is the "Sign out" above.
    const own = d.current && s.site === 'hub'
    const action = own ? '' : form(p, '/sessions/end-site', { session: d.ref, site: s.ref }, `<button class="link" type="submit" data-testid="end-site" title="Sign out of ${escapeHtml(s.site)} on this device">Sign out</button>`)
    return `<tr data-testid="site" data-site="${escapeHtml(s.site)}" data-via="${escapeHtml(s.via)}"><td class="site">${escapeHtml(s.site)}${s.host ? `<small>${escapeHtml(s.host)}</small>` : ''}</td>
<td class="via-cell"><span class="via ${escapeHtml(s.via)}" title="${escapeHtml(VIA_MEANING[s.via])}">${escapeHtml(s.via)}</span></td>
<td class="how">${escapeHtml(VIA_MEANING[s.via])}</td><td class="when">${when(s.at, p.now)}</td><td class="end">${action}</td></tr>`
  })
  const sites = rows.length > 0 ? `<table class="sites"><colgroup><col class="c-site"><col class="c-via"><col class="c-how"><col class="c-when"><col class="c-end"></colgroup>${rows.join('')}</table>` : '<p class="none">No site holds this session right now.</p>'
  return `<li class="device${d.current ? ' current' : ''}" data-testid="device" data-device="${escapeHtml(d.label)}"${d.current ? ' data-current="true"' : ''}>
<div class="device-head">${mark}<div class="what"><strong>${escapeHtml(d.label)}</strong>${d.current ? '<span class="badge">This device</span>' : ''}
<div class="meta">${meta}</div></div>${end}</div>
${sites}</li>`
}

function form(p: { base: string; csrf: string }, action: string, fields: Record<string, string>, button: string): string {
  const hidden = Object.entries({ csrf: p.csrf, ...fields }).map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`).join('')
  return `<form class="inline" method="post" action="${escapeHtml(p.base)}${action}">${hidden}${button}</form>`
}

/** A time as people say it ("5 minutes ago"), with the exact UTC time on hover. */
function when(at: number, now: number): string {
  const exact = new Date(at).toISOString()
  return `<time datetime="${exact}" title="${exact.replace('T', ' ').slice(0, 16)} UTC">${ago(now - at)}</time>`
}

function ago(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000)
  if (minutes < 1) return 'just now'
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours} hour${hours === 1 ? '' : 's'} ago`
  const days = Math.floor(hours / 24)
  return `${days} day${days === 1 ? '' : 's'} ago`
}
