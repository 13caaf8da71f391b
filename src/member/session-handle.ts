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
  #sink: ResponseSink | undefined
  #session: GlobalSession | null
  #via: LinkVia | null

  #pushed: string | undefined

  /** `pushed` is the request's push marker cookie: which session this site last pushed. */
  constructor(ctx: MemberContext, session: GlobalSession | null, via: LinkVia | null, sink: ResponseSink | undefined, pushed?: string) {
    this.#ctx = ctx
    this.#session = session
    this.#via = via
    this.#sink = sink
    this.#pushed = pushed
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
    const session = await this.#ensure()
    await patchSession(this.#ctx.store, session.id, changes)
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete session.data[key]
      else Object.defineProperty(session.data, key, { value: JSON.parse(JSON.stringify(value)), enumerable: true, writable: true, configurable: true })
    }
  }

  /**
   * Log out: destroy the global session, so every site sees it gone on its
   * next request; with `everywhere`, every session of the user.
   */
  async logout(options: { everywhere?: boolean } = {}): Promise<void> {
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
    this.#sink.setCookie(setCookie(this.#ctx.pushed, marker, (session.absoluteExpiresAt - this.#ctx.now()) / 1000))
    this.#pushed = marker
    return tags
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

/** Names a session without revealing its id (the id is a reference the store trusts). */
function pushMarker(sessionId: string): string {
  return createHash('sha256').update(`pushed:${sessionId}`).digest('base64url').slice(0, 22)
}
