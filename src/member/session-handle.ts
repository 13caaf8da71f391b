import type { ResponseSink } from '../adapters/middleware.js'
import { SharedSessionError } from '../errors/shared-session-error.js'
import { createHash } from 'node:crypto'
import { setCookie } from '../http/cookies.js'
import { clearSiteCookies, setSiteCookies } from '../sites/site-cookies.js'
import { createSession } from '../sessions/create.js'
import { endSession } from '../sessions/destroy.js'
import { linkSite } from '../sessions/link.js'
import { patchSession } from '../sessions/patch.js'
import type { GlobalSession } from '../sessions/session.js'
import type { LinkVia, SessionUser } from '../stores/store.js'
import { loaderTags } from './loader.js'
import { checkCsrf, csrfToken } from '../http/csrf.js'
import type { RequestHead } from '../http/request-head.js'
import { safeReturnUrl } from '../http/return-url.js'
import { memberCsrf } from './csrf.js'
import type { MemberContext } from './options.js'

/**
 * The session a member hands the app on every request (`req.session`).
 * Reading is free; the first write of a visitor without a session creates
 * an anonymous one and sets this site's cookie, so visitors who only read
 * (and crawlers) cost no store writes.
 *
 * @example
 * ```ts
 * const cart = (req.session.get('cart') as string[] | undefined) ?? []
 * await req.session.set('cart', [...cart, 'teapot'])
 * res.send(`${req.session.user?.username ?? 'anonymous'} ${req.session.loader()}`)
 * ```
 */
export class MemberSession {
  #ctx: MemberContext
  #request: RequestHead
  #sink: ResponseSink | undefined
  #session: GlobalSession | null
  #via: LinkVia | null
  #pushed: string | undefined
  #withheld: boolean

  /**
   * `pushed` is the request's push marker cookie: which session this site
   * last pushed. `withheld`: the request could not carry the session cookie.
   */
  constructor(ctx: MemberContext, request: RequestHead, session: GlobalSession | null, via: LinkVia | null, sink: ResponseSink | undefined, pushed?: string, withheld = false) {
    this.#ctx = ctx
    this.#request = request
    this.#session = session
    this.#via = via
    this.#sink = sink
    this.#pushed = pushed
    this.#withheld = withheld
  }

  /**
   * True when this request could not carry the site's session cookie (a
   * cross-site POST, `fetch()` or subresource): the session reads as empty
   * and every write is refused with `ERR_CROSS_SITE_REQUEST`, so a page of
   * another site can neither sign the visitor out here nor plant data.
   */
  get withheld(): boolean {
    return this.#withheld
  }

  /** The global session id, or null while the visitor has none. */
  get id(): string | null {
    return this.#session?.id ?? null
  }

  /** The signed-in user, or null for an anonymous visitor. */
  get user(): SessionUser | null {
    return this.#session?.user ?? null
  }

  /** How this site got the session: `new`, `push`, `pull`, `login` or `token`; null without one. */
  get via(): LinkVia | null {
    return this.#via
  }

  /** A read-only view of the session data. */
  get data(): Readonly<Record<string, unknown>> {
    return this.#session?.data ?? {}
  }

  /** One data value. */
  get(key: string): unknown {
    return this.#session ? this.#session.data[key] : undefined
  }

  /** Write one data key (`undefined` removes it); atomic, per key. */
  set(key: string, value: unknown): Promise<void> {
    return this.patch({ [key]: value })
  }

  /** Write several data keys at once; other keys, and other sites' writes, are untouched. */
  async patch(changes: Record<string, unknown>): Promise<void> {
    this.#refuseWithheld()
    const session = this.#session ?? (await this.#ensure())
    const written = await patchSession(this.#ctx.store, session.id, changes)
    for (const key of written.unset) delete session.data[key]
    // The copy kept for this request reads back as the store will: the JSON just written, parsed.
    for (const key in written.set) {
      if (Object.hasOwn(written.set, key)) Object.defineProperty(session.data, key, { value: asStored(changes[key], written.set[key]!), enumerable: true, writable: true, configurable: true })
    }
  }

  /**
   * Log out: destroy the global session, so every site sees it gone on its
   * next request; with `everywhere`, every session of the user.
   */
  async logout(options: { everywhere?: boolean } = {}): Promise<void> {
    this.#refuseWithheld()
    const session = this.#session
    if (!session) return
    await endSession(this.#ctx.store, session, { everywhere: options.everywhere ?? false })
    for (const cookie of clearSiteCookies(this.#ctx.cookies)) this.#sink?.setCookie(cookie)
    this.#session = null
    this.#via = null
    this.#ctx.events.emit('logout', { site: this.#ctx.site, sessionId: session.id, user: session.user, everywhere: options.everywhere ?? false })
  }

  /**
   * The push loader for this page: script tags that share this session with
   * every other site where third-party cookies allow it. Once per session:
   * after a page carried it, this site's later pages carry nothing until the
   * session changes (login, logout), so browsers that refuse the push cookie
   * do not cost a store write per page view. Marks the response
   * `private, no-store`: a page carrying payloads must never sit in a shared cache.
   */
  loader(): string {
    const session = this.#session
    if (!session || !this.#sink) return ''
    const marker = pushMarker(session.id)
    if (this.#pushed === marker) return ''
    const tags = loaderTags(this.#ctx, session.id)
    if (!tags) return ''
    this.#sink.setHeader('cache-control', 'private, no-store')
    // Explicit, not left to the browser: the page's own URL never leaves it whole; `Origin` still
    // goes with this site's forms (no-referrer would send \`Origin: null\` and fail their CSRF check).
    this.#sink.setHeader('referrer-policy', 'strict-origin-when-cross-origin')
    this.#sink.setCookie(setCookie(this.#ctx.pushed, marker, (session.absoluteExpiresAt - this.#ctx.now()) / 1000))
    this.#pushed = marker
    return tags
  }

  /**
   * A CSRF token for this site's own forms (a hidden field `csrf`), bound to
   * a SameSite=Strict double-submit cookie that it sets when missing. Check
   * it with {@link checkCsrf} in the route that handles the form.
   *
   * @example
   * ```ts
   * res.end(`<form method="post" action="/cart"><input type="hidden" name="csrf" value="${req.session.csrfToken()}">…</form>`)
   * ```
   */
  csrfToken(): string {
    const { token, cookie } = csrfToken(memberCsrf(this.#ctx), this.#request)
    if (cookie) this.#sink?.setCookie(cookie)
    return token
  }

  /**
   * Refuse this request (throws `ERR_CSRF`, a 403) unless it comes from a
   * page of this site (`Origin`, else `Sec-Fetch-Site: same-origin`) and
   * carries the token of {@link csrfToken}. Call it first in every route
   * that changes state.
   *
   * @example
   * ```ts
   * req.session.checkCsrf(form.get('csrf'))
   * await req.session.set('cart', [...cart, item])
   * ```
   */
  checkCsrf(token: unknown): void {
    checkCsrf(memberCsrf(this.#ctx), this.#request, token, { origins: new Set([this.#ctx.origin]), requireToken: true })
  }

  /**
   * The hub's sign-in page for this visitor, coming back to `returnTo` (a
   * path on this site, or a URL on a configured site; default `/`).
   *
   * @example
   * ```ts
   * res.writeHead(302, { location: req.session.loginUrl('/account') }).end()
   * ```
   */
  loginUrl(returnTo = '/'): string {
    const back = safeReturnUrl(returnTo, this.#ctx.returnOrigins, this.#ctx.origin) ?? `${this.#ctx.origin}/`
    return `${this.#ctx.hubBase}/login?${new URLSearchParams({ return: back })}`
  }

  /**
   * The `action` of a sign-out form for this site's `POST {prefix}/logout`
   * endpoint, with its CSRF token: the session ends everywhere it is linked
   * (`everywhere`: every session of the user), then the browser comes back to `returnTo`.
   *
   * @example
   * ```ts
   * `<form method="post" action="${escapeHtml(req.session.logoutAction('/'))}"><button>Sign out</button></form>`
   * ```
   */
  logoutAction(returnTo = '/', options: { everywhere?: boolean } = {}): string {
    const query = new URLSearchParams({ return: returnTo, csrf: this.csrfToken() })
    if (options.everywhere) query.set('everywhere', '1')
    return `${this.#ctx.prefix}/logout?${query}`
  }

  #refuseWithheld(): void {
    if (this.#withheld) {
      throw new SharedSessionError('ERR_CROSS_SITE_REQUEST', 'this request came from another site and could not carry the session cookie; the session was not changed', { detail: 'sec-fetch-site' })
    }
  }

  async #ensure(): Promise<GlobalSession> {
    if (this.#session) return this.#session
    if (!this.#sink) throw new SharedSessionError('ERR_CONFIG_INVALID', 'this request has no response to set the session cookie on; pass a ResponseSink to handle()')
    const now = this.#ctx.now()
    const session = await createSession(this.#ctx.store, this.#ctx.policy, { now })
    const cookieValue = await linkSite(this.#ctx.store, session, this.#ctx.site, now, 'new')
    for (const cookie of setSiteCookies(this.#ctx.cookies, cookieValue, (session.absoluteExpiresAt - now) / 1000, { pushed: false })) this.#sink.setCookie(cookie)
    this.#session = session
    this.#via = 'new'
    this.#ctx.events.emit('session.created', { site: this.#ctx.site, sessionId: session.id })
    return session
  }
}

/** A value as it reads back from its JSON text: primitives that JSON keeps as they are without parsing. */
function asStored(value: unknown, json: string): unknown {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value
  if (typeof value === 'number' && Number.isFinite(value)) return value === 0 ? 0 : value
  return JSON.parse(json)
}

/** Names a session without revealing its id (the id is a reference the store trusts). */
function pushMarker(sessionId: string): string {
  return createHash('sha256').update(`pushed:${sessionId}`).digest('base64url').slice(0, 22)
}
