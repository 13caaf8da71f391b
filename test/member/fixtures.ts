import assert from 'node:assert/strict'
import { createHub, type Hub } from '../../src/hub/create-hub.js'
import type { HubOptions } from '../../src/hub/options.js'
import { createMember, type Member } from '../../src/member/create-member.js'
import type { MemberOptions } from '../../src/member/options.js'
import { loaderTags } from '../../src/member/loader.js'
import { errorResponse } from '../../src/http/respond.js'
import { sealHandoff } from '../../src/handoff/seal.js'
import { createSession } from '../../src/sessions/create.js'
import { linkSite } from '../../src/sessions/link.js'
import { resolveLinkedSession } from '../../src/sessions/resolve.js'
import type { SessionEvents } from '../../src/events/emitter.js'
import { setSiteCookies, type SiteCookies } from '../../src/sites/site-cookies.js'
import type { KeyRing } from '../../src/keys/key-ring.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import type { LinkVia, SessionStore, SessionUser, StoreCounts } from '../../src/stores/store.js'
import type { UserDirectory } from '../../src/users/directory.js'
import { testRing } from '../helpers/keys.js'
import { formField } from '../helpers/http.js'

/**
 * A whole deployment in one process, with no ports: the hub
 * (auth.acme.localhost), a subdomain member (forum.acme.localhost), two
 * cross-site members (shop.localhost, shop-de.localhost) and a token-only
 * site (flask, `member: false`), one memory store, one fake clock. Every
 * origin is https, as in production, so cookies are `__Host-` and the push
 * is on, exactly as in a browser.
 */
export const ORIGINS = {
  hub: 'https://auth.acme.localhost:4000',
  forum: 'https://forum.acme.localhost:4001',
  shop: 'https://shop.localhost:4002',
  'shop-de': 'https://shop-de.localhost:4003',
  flask: 'https://flask.acme.localhost:4004',
} as const
export type SiteName = keyof typeof ORIGINS
export type MemberName = 'forum' | 'shop' | 'shop-de'
export const MEMBERS: readonly MemberName[] = ['forum', 'shop', 'shop-de']
/** A site that is not part of the deployment: the attacker's. */
export const EVIL = 'https://evil.localhost:6666'
export const ALICE: SessionUser = { sub: 'u-alice', username: 'alice', email: 'alice@acme.example' }
export const MALLORY: SessionUser = { sub: 'u-mallory', username: 'mallory' }
const PASSWORDS: Record<string, [string, SessionUser]> = { alice: ['wonderland', ALICE], mallory: ['hunter2', MALLORY] }

/** The session cookie and its `live` companion, as every secure site names them. */
export const SESSION_COOKIE = '__Host-ss'
export const LIVE_COOKIE = '__Host-ss-live'
/** The prefix of the per-bounce state cookies (`__Host-ss-state-<k>`), which also record finished pulls. */
export const STATE_COOKIE = '__Host-ss-state-'

/** A fake clock shared by the hub, the members and the store (milliseconds). */
export interface Clock {
  now: number
  advance(seconds: number): void
}

export interface DeploymentOptions {
  hub?: Partial<HubOptions>
  members?: Partial<Record<MemberName, Partial<MemberOptions>>>
}

export type ReplacedEvent = SessionEvents['session.replaced']

export interface Deployment {
  hub: Hub
  members: Record<MemberName, Member>
  store: SessionStore
  ring: KeyRing
  clock: Clock
  /** Every `session.replaced`, from every member and the hub, in order. */
  replaced: ReplacedEvent[]
  /** Operational log lines (a 5xx or an unexpected error shows up here). */
  logs: string[]
  /** Answer one request for any origin, as the servers would (errors become their 4xx/5xx response). */
  handle(url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Response>
  browser(options?: BrowserOptions): Browser
  /** The cookie specs of a site (the hub included). */
  cookiesOf(site: 'hub' | MemberName): SiteCookies
  /** Give `browser` a session on `site` the way a local first write does; returns the global session id. */
  seedSession(browser: Browser, site: 'hub' | MemberName, options?: { user?: SessionUser | null; data?: Record<string, unknown> }): Promise<string>
  /** The global session and link behind the browser's cookie on `site`, or null. */
  sessionOf(browser: Browser, site: 'hub' | MemberName): Promise<{ id: string; via: LinkVia; user: SessionUser | null } | null>
  /** A push URL for `dst`, sealed as `src`'s loader would (optionally at another time, or bound). */
  pushUrl(src: string, dst: MemberName | 'hub', ref: string | null, options?: { now?: number; bind?: string }): string
  /** The push URLs the loader of `site` renders for a session, by destination name. */
  loaderUrls(site: MemberName, sessionId: string): Map<string, string>
  counts(): Promise<StoreCounts>
}

const hosts = new Map<string, SiteName>(Object.entries(ORIGINS).map(([name, origin]) => [origin, name as SiteName]))

function makeUsers(): UserDirectory {
  return {
    async authenticate(username, password) {
      const entry = PASSWORDS[username]
      return entry && entry[0] === password ? { ...entry[1] } : null
    },
  }
}

/**
 * Build the deployment with createHub + createMember on a memory store.
 * Cheap (no keys generated, no ports): make one per test.
 */
export async function createDeployment(options: DeploymentOptions = {}): Promise<Deployment> {
  const ring = await testRing()
  const clock: Clock = {
    now: Date.UTC(2031, 0, 1, 12, 0, 0),
    advance(seconds) {
      this.now += seconds * 1000
    },
  }
  const now = () => clock.now
  const logs: string[] = []
  const log = (message: string) => void logs.push(message)
  const store = createMemoryStore({ clock: now })
  const sites = [
    { name: 'forum', origin: ORIGINS.forum },
    { name: 'shop', origin: ORIGINS.shop },
    { name: 'shop-de', origin: ORIGINS['shop-de'] },
    { name: 'flask', origin: ORIGINS.flask, member: false },
  ]
  const hub = createHub({ origin: ORIGINS.hub, parentDomain: 'acme.localhost', keys: ring, store, users: makeUsers(), sites, now, log, ...options.hub })
  const members = {} as Record<MemberName, Member>
  for (const name of MEMBERS) {
    members[name] = createMember({ site: name, sites, hub: ORIGINS.hub, keys: ring, store, now, log, selfCheck: false, ...options.members?.[name] })
  }
  const replaced: ReplacedEvent[] = []
  for (const emitter of [hub.events, ...MEMBERS.map((n) => members[n].events)]) emitter.on('session.replaced', (e) => void replaced.push(e))

  const cookiesOf = (site: 'hub' | MemberName) => (site === 'hub' ? hub.context.cookies : members[site].context.cookies)

  const d: Deployment = {
    hub,
    members,
    store,
    ring,
    clock,
    replaced,
    logs,
    async handle(url, init = {}) {
      const method = init.method ?? 'GET'
      const headers = init.headers ?? {}
      const site = hosts.get(new URL(url).origin)
      if (site === 'hub') {
        return hub.fetch(new Request(url, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) }))
      }
      if (site === undefined || site === 'flask') return new Response(`<p>a page of ${new URL(url).origin}</p>`, { status: 200, headers: { 'content-type': 'text/html' } })
      const member = members[site]
      const cookies: string[] = []
      const extra = new Headers()
      const sink = { setCookie: (v: string) => void cookies.push(v), setHeader: (n: string, v: string) => extra.set(n, v) }
      let response: Response
      try {
        const result = await member.handle({ method, url, headers: new Headers(headers) }, sink)
        response = result.response ?? new Response(`<p>page ${url} session=${result.value.id ?? 'none'}</p>`, { status: 200, headers: { 'content-type': 'text/html' } })
      } catch (err) {
        response = errorResponse(err, log)
      }
      // The app's response is rebuilt so the sink's headers join it, as the adapters do.
      const out = new Response(response.body, { status: response.status, headers: response.headers })
      for (const [n, v] of extra) out.headers.set(n, v)
      for (const c of cookies) out.headers.append('set-cookie', c)
      return out
    },
    browser(options) {
      return new Browser(d, options)
    },
    cookiesOf,
    async seedSession(browser, site, options = {}) {
      const session = await createSession(store, hub.context.policy, { user: options.user ?? null, data: options.data ?? {}, now: clock.now })
      const value = await linkSite(store, session, site, clock.now, 'new')
      browser.receive(ORIGINS[site], setSiteCookies(cookiesOf(site), value, (session.absoluteExpiresAt - clock.now) / 1000, { pushed: false }))
      return session.id
    },
    async sessionOf(browser, site) {
      const found = await resolveLinkedSession(store, site, browser.cookie(ORIGINS[site], SESSION_COOKIE), clock.now)
      return found ? { id: found.session.id, via: found.link.via, user: found.session.user } : null
    },
    pushUrl(src, dst, ref, options = {}) {
      const sealed = sealHandoff(ring, { ref, src, dst, ttlSeconds: 30, now: options.now ?? clock.now, ...(options.bind ? { bind: options.bind } : {}) })
      return `${ORIGINS[dst]}/_session/push/${sealed}.js`
    },
    loaderUrls(site, sessionId) {
      const tags = loaderTags(members[site].context, sessionId)
      const urls = new Map<string, string>()
      for (const [, src] of tags.matchAll(/src="([^"]+)"/g)) {
        const url = src!.replace(/&amp;/g, '&')
        urls.set(hosts.get(new URL(url).origin)!, url)
      }
      return urls
    },
    counts: () => store.count(clock.now),
  }
  return d
}

/** How a request leaves the browser: what kind of load, and from which page. */
export type RequestKind = 'navigate' | 'script' | 'image' | 'iframe' | 'fetch'

export interface RequestOptions {
  kind?: RequestKind
  /** The page (URL or origin) the request comes from; none for a typed URL or a bookmark. */
  from?: string
  method?: string
  body?: string
  /** Extra or overriding headers; a null value removes a header the browser would send. */
  headers?: Record<string, string | null>
  /** Earlier URLs of the same redirect chain (for Sec-Fetch-Site). */
  chain?: string[]
}

export interface BrowserOptions {
  /** False: drop every Set-Cookie and send none (cookies disabled). */
  cookies?: boolean
  /** False: no cookies in cross-site subresource requests (Safari, Firefox, Brave, incognito). */
  thirdPartyCookies?: boolean
  userAgent?: string
  /** Cookie names this browser never stores (nor deletes): evictions, per-name blocking, a jar that keeps only some of ours. */
  refuse?: (name: string) => boolean
}

interface StoredCookie {
  value: string
  sameSite: 'strict' | 'lax' | 'none'
  expiresAt: number | null
  /** Domain cookie (sent to subdomains) or host-only. */
  domain: string | null
  attributes: string
}

/** The registrable domain of a `*.localhost` host: its last two labels. */
export function siteOf(origin: string): string {
  return new URL(origin).hostname.split('.').slice(-2).join('.')
}

/**
 * A fake browser for HTTP-level tests: a cookie jar per host that honours
 * SameSite, Max-Age, Domain and the `__Host-` rules (it drops a cookie a
 * real browser would drop), the Sec-Fetch-* and Referer headers of each
 * kind of load, and redirect following across every site of the
 * deployment (hub.fetch / member.handle by origin, no sockets).
 */
export class Browser {
  readonly jar = new Map<string, Map<string, StoredCookie>>()
  readonly cookiesEnabled: boolean
  readonly thirdPartyCookies: boolean
  readonly userAgent: string
  refuse: (name: string) => boolean
  /** Every cookie the browser refused to store because of its attributes (a bug when not empty). */
  readonly rejected: string[] = []

  constructor(
    readonly deployment: Deployment,
    options: BrowserOptions = {},
  ) {
    this.cookiesEnabled = options.cookies ?? true
    this.thirdPartyCookies = options.thirdPartyCookies ?? true
    this.refuse = options.refuse ?? (() => false)
    this.userAgent = options.userAgent ?? 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'
  }

  /** Store `Set-Cookie` lines received from `origin`. */
  receive(origin: string, lines: string[]): void {
    if (!this.cookiesEnabled) return
    const host = new URL(origin).hostname
    for (const line of lines) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim())
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq)
      if (this.refuse(name)) continue
      const value = decodeURIComponent(pair!.slice(eq + 1))
      const attr = new Map(attrs.map((a) => {
        const i = a.indexOf('=')
        return i < 0 ? [a.toLowerCase(), ''] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)]
      }))
      const sameSite = (attr.get('samesite') ?? 'lax').toLowerCase() as StoredCookie['sameSite']
      const secure = attr.has('secure')
      const domain = attr.get('domain')?.replace(/^\./, '').toLowerCase() ?? null
      // What a browser refuses: __Host- needs Secure, Path=/ and no Domain; SameSite=None needs Secure; a Domain must cover the host.
      if (
        (name.startsWith('__Host-') && (!secure || attr.get('path') !== '/' || domain !== null)) ||
        (sameSite === 'none' && !secure) ||
        (domain !== null && host !== domain && !host.endsWith(`.${domain}`))
      ) {
        this.rejected.push(line)
        continue
      }
      const key = domain ?? host
      const jar = this.jar.get(key) ?? new Map<string, StoredCookie>()
      this.jar.set(key, jar)
      const maxAge = attr.get('max-age')
      const expiresAt = maxAge === undefined ? null : this.deployment.clock.now + Number(maxAge) * 1000
      if (expiresAt !== null && expiresAt <= this.deployment.clock.now) jar.delete(name)
      else jar.set(name, { value, sameSite, expiresAt, domain, attributes: line })
    }
  }

  #matching(origin: string): [string, StoredCookie][] {
    const host = new URL(origin).hostname
    const out: [string, StoredCookie][] = []
    for (const [key, jar] of this.jar) {
      for (const [name, c] of jar) {
        if (c.expiresAt !== null && c.expiresAt <= this.deployment.clock.now) continue
        if (c.domain === null ? key === host : host === c.domain || host.endsWith(`.${c.domain}`)) out.push([name, c])
      }
    }
    return out
  }

  /** The value of one live cookie the browser would send to `origin`, or undefined. */
  cookie(origin: string, name: string): string | undefined {
    return this.#matching(origin).find(([n]) => n === name)?.[1].value
  }

  /** The pending state of a bounce in flight on `origin` (a `__Host-ss-state-<k>` cookie that is no record yet). */
  pendingState(origin: string): string | undefined {
    return this.#matching(origin).find(([n, c]) => n.startsWith(STATE_COOKIE) && !c.value.startsWith('t.'))?.[1].value
  }

  /** The record of a finished pull on `origin` (`t.<reason>` in a state cookie), or undefined. */
  triedRecord(origin: string): string | undefined {
    return this.#matching(origin).find(([n, c]) => n.startsWith(STATE_COOKIE) && c.value.startsWith('t.'))?.[1].value
  }

  /** Every state cookie of `origin`, name → value. */
  stateCookies(origin: string): Map<string, string> {
    return new Map(this.#matching(origin).filter(([n]) => n.startsWith(STATE_COOKIE)).map(([n, c]) => [n, c.value]))
  }

  /** The raw `Set-Cookie` line a live cookie came from. */
  cookieLine(origin: string, name: string): string | undefined {
    return this.#matching(origin).find(([n]) => n === name)?.[1].attributes
  }

  /** Put a cookie in the jar by hand (what the attacker's own browser holds, or a cookie copied from it). */
  setCookie(origin: string, name: string, value: string, sameSite: StoredCookie['sameSite'] = 'lax'): void {
    const host = new URL(origin).hostname
    const jar = this.jar.get(host) ?? new Map<string, StoredCookie>()
    this.jar.set(host, jar)
    jar.set(name, { value, sameSite, expiresAt: null, domain: null, attributes: `${name}=${value}` })
  }

  deleteCookie(origin: string, name: string): void {
    this.jar.get(new URL(origin).hostname)?.delete(name)
  }

  /** Every live cookie for `origin` as `name=value` lines, sorted: compare before and after an attack. */
  snapshot(origin: string): string[] {
    return this.#matching(origin).map(([n, c]) => `${n}=${c.value}`).sort()
  }

  /** Sec-Fetch-Site of a request to `url` from `from` through `chain`. */
  static fetchSite(url: string, from: string | undefined, chain: string[] = []): 'none' | 'same-origin' | 'same-site' | 'cross-site' {
    if (from === undefined) return 'none'
    const initiator = new URL(from).origin
    let result: 'same-origin' | 'same-site' | 'cross-site' = 'same-origin'
    for (const u of [...chain, url]) {
      const origin = new URL(u).origin
      if (origin === initiator) continue
      if (siteOf(origin) === siteOf(initiator)) {
        if (result === 'same-origin') result = 'same-site'
      } else result = 'cross-site'
    }
    return result
  }

  /** The headers this browser sends for one request. */
  headersFor(url: string, options: RequestOptions = {}): Record<string, string> {
    const kind = options.kind ?? 'navigate'
    const method = options.method ?? 'GET'
    const target = new URL(url).origin
    const fetchSite = Browser.fetchSite(url, options.from, options.chain)
    const h: Record<string, string> = { 'user-agent': this.userAgent, 'sec-fetch-site': fetchSite }
    const fromOrigin = options.from === undefined ? undefined : new URL(options.from).origin
    switch (kind) {
      case 'navigate':
        Object.assign(h, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'sec-fetch-user': '?1' })
        // strict-origin-when-cross-origin: the full URL within an origin, the origin across.
        if (options.from) h.referer = fromOrigin === target ? options.from : `${fromOrigin}/`
        if (method !== 'GET' && method !== 'HEAD' && fromOrigin) h.origin = fromOrigin
        break
      case 'iframe':
        Object.assign(h, { accept: 'text/html,*/*;q=0.8', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' })
        if (fromOrigin) h.referer = `${fromOrigin}/`
        break
      case 'script':
        // The loader's tag: <script async referrerpolicy="origin">, no crossorigin attribute, so no Origin header.
        Object.assign(h, { accept: '*/*', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script' })
        if (fromOrigin) h.referer = `${fromOrigin}/`
        break
      case 'image':
        Object.assign(h, { accept: 'image/avif,image/webp,image/*,*/*;q=0.8', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' })
        if (fromOrigin) h.referer = `${fromOrigin}/`
        break
      case 'fetch':
        Object.assign(h, { accept: '*/*', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' })
        if (fromOrigin) {
          h.origin = fromOrigin
          h.referer = `${fromOrigin}/`
        }
        break
    }
    const cookie = this.cookieHeader(url, kind, method, fetchSite)
    if (cookie) h.cookie = cookie
    for (const [n, v] of Object.entries(options.headers ?? {})) {
      if (v === null) delete h[n.toLowerCase()]
      else h[n.toLowerCase()] = v
    }
    return h
  }

  /** The Cookie header for a request, by SameSite rules. */
  cookieHeader(url: string, kind: RequestKind, method: string, fetchSite: string): string {
    if (!this.cookiesEnabled) return ''
    const crossSite = fetchSite === 'cross-site'
    const topLevel = kind === 'navigate'
    const sent = this.#matching(new URL(url).origin).filter(([, c]) => {
      if (!crossSite) return true
      if (!topLevel && !this.thirdPartyCookies) return false
      if (c.sameSite === 'none') return true
      return c.sameSite === 'lax' && topLevel && (method === 'GET' || method === 'HEAD')
    })
    return sent.map(([n, c]) => `${n}=${c.value}`).join('; ')
  }

  /** One request (no redirect following); the response's cookies go into the jar. */
  async request(url: string, options: RequestOptions = {}): Promise<Response> {
    const headers = this.headersFor(url, options)
    const response = await this.deployment.handle(url, { method: options.method ?? 'GET', headers, ...(options.body === undefined ? {} : { body: options.body }) })
    const kind = options.kind ?? 'navigate'
    const blocked = !this.thirdPartyCookies && kind !== 'navigate' && headers['sec-fetch-site'] === 'cross-site'
    if (!blocked) this.receive(new URL(url).origin, response.headers.getSetCookie())
    return response
  }

  /**
   * A top-level navigation that follows redirects like a browser (303 and
   * 302 after POST become GET), at most `maxHops` of them. Returns the last
   * response and every URL requested, in order.
   */
  async navigate(url: string, options: RequestOptions & { maxHops?: number } = {}): Promise<{ response: Response; chain: string[] }> {
    const chain: string[] = []
    let current = url
    let method = options.method ?? 'GET'
    let body = options.body
    for (let hop = 0; hop <= (options.maxHops ?? 40); hop++) {
      const { body: _first, ...rest } = options
      const response = await this.request(current, { ...rest, kind: 'navigate', method, ...(body === undefined ? {} : { body }), chain: [...chain] })
      chain.push(current)
      const location = response.headers.get('location')
      if (response.status < 300 || response.status >= 400 || !location) return { response, chain }
      current = new URL(location, current).href
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET'
        body = undefined
      }
      // A redirect keeps the initiator; headers given for the first hop only apply to it.
      options = { ...options, headers: {} }
    }
    throw new Error(`redirect loop: ${chain.slice(-6).join(' → ')}`)
  }

  /** Sign in at the hub with its real form (GET /login, POST with CSRF), following the redirect chain. */
  async signIn(user = 'alice', password = PASSWORDS[user]?.[0] ?? 'x', returnTo?: string): Promise<{ response: Response; chain: string[] }> {
    const form = await this.request(`${ORIGINS.hub}/login`, { kind: 'navigate', from: `${ORIGINS.hub}/` })
    assert.equal(form.status, 200, 'login form')
    const csrf = formField(await form.text(), 'csrf')
    const body = new URLSearchParams({ csrf, username: user, password })
    if (returnTo) body.set('return', returnTo)
    return this.navigate(`${ORIGINS.hub}/login`, {
      from: `${ORIGINS.hub}/login`,
      method: 'POST',
      body: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
  }
}

/** The `{ error }` code of a JSON error response. */
export async function errorCode(response: Response): Promise<string | undefined> {
  const text = await response.clone().text()
  try {
    return (JSON.parse(text) as { error?: string }).error
  } catch {
    return text.match(/<code>(ERR_[A-Z_]+)<\/code>/)?.[1]
  }
}

/** Assert a refusal: exactly `status`-class 4xx with this error code. */
export async function assertRefused(response: Response, code: string, message?: string): Promise<void> {
  const got = await errorCode(response)
  assert.ok(response.status >= 400 && response.status < 500, `${message ?? ''} expected a 4xx ${code}, got ${response.status} ${got}`)
  assert.equal(got, code, `${message ?? ''} status ${response.status}`)
  assert.equal(response.headers.getSetCookie().filter((c) => /^__Host-ss(-live)?=/.test(c)).length, 0, `${message ?? ''} a refusal sets no session cookie`)
}

/** The session-related parts of a victim's state, to compare before and after an attack. */
export async function victimState(d: Deployment, browser: Browser, sites: readonly ('hub' | MemberName)[] = ['hub', ...MEMBERS]): Promise<unknown> {
  const out: Record<string, unknown> = { counts: await d.counts() }
  for (const site of sites) out[site] = { jar: browser.snapshot(ORIGINS[site]), session: await d.sessionOf(browser, site) }
  return out
}

/** The push file name (payload) of a push URL. */
export function payloadOf(pushUrl: string): string {
  return pushUrl.match(/\/push\/([^/]+)\.js$/)![1]!
}
