import { SharedSessionError } from '../errors/shared-session-error.js'
import { redeemHandoff } from '../handoff/redeem.js'
import { LightResponse } from '../http/light-response.js'
import { PRIVATE_HEADERS } from '../http/respond.js'
import type { RequestHead } from '../http/request-head.js'
import { fromRecord } from '../sessions/session.js'
import { adoptSession } from './adopt.js'
import type { MemberContext } from './options.js'

/**
 * GET `{prefix}/push/{payload}.js`: the fast path. A page on another site
 * loaded this as `<script async referrerpolicy="origin">`. Accepted only as
 * a script (`Sec-Fetch-Dest`), only from a configured site that is the
 * payload's `src` (`Origin`/`Referer`), only once (`jti`), only fresh; then
 * this site links the session with a `SameSite=None; Secure` cookie.
 * Opened as a page or an image, from an unknown origin, or replayed, it is
 * a 4xx and changes nothing: the login-CSRF hole of the original is closed.
 *
 * @example
 * ```html
 * <script async referrerpolicy="origin" src="https://shop.de/_session/push/AV….js"></script>
 * ```
 */
export async function push(ctx: MemberContext, request: RequestHead, sealed: string): Promise<Response> {
  const dest = request.headers.get('sec-fetch-dest') ?? legacyDestination(request)
  if (dest !== null && dest !== 'script') throw new SharedSessionError('ERR_TRANSPORT', `a push is loaded as a script, not as ${dest}`, { detail: 'sec-fetch-dest' })
  if (!ctx.pushEnabled) throw new SharedSessionError('ERR_PUSH_DISABLED', 'the push needs a secure origin (https or *.localhost)')
  const from = requestOrigin(request, ctx.names)
  const src = from === null ? undefined : ctx.names.get(from)
  if (src === undefined || src === ctx.site) {
    throw new SharedSessionError('ERR_PAYLOAD_ORIGIN', 'a push must come from a page of a configured site (Origin/Referer)', { detail: 'referer' })
  }
  // The browser says this cross-site request has no cookie access (third-party cookies blocked,
  // Chromium's Sec-Fetch-Storage-Access): our Set-Cookie would be dropped, so link nothing, write
  // nothing to the store and fire no `session.replaced` for a session the site will never hold.
  // The pull delivers instead. (Browsers that do not send the header still link an unused link.)
  if (request.headers.get('sec-fetch-storage-access') === 'none') return script('blocked')
  const payload = await redeemHandoff(ctx.store, ctx.ring, sealed, { dst: ctx.site, sources: new Set([src]), timeoutSeconds: ctx.timeout, now: ctx.now() })
  const target = payload.ref === null ? null : await ctx.store.getSession(payload.ref, ctx.now())
  if (!target) throw new SharedSessionError('ERR_SESSION_NOT_FOUND', 'the pushed session has ended')
  const { cookies, outcome } = await adoptSession(ctx, request, fromRecord(target), { via: 'push', src })
  return script(outcome, cookies)
}

/** The push's tiny script body, never cached. */
function script(outcome: string, cookies: readonly string[] = []): Response {
  return new LightResponse(200, { ...SCRIPT_FIELDS }, `/* shared-session: ${outcome} */\n`, cookies)
}

const SCRIPT_FIELDS: Readonly<Record<string, string>> = {
  'content-type': 'text/javascript; charset=utf-8',
  'x-content-type-options': 'nosniff',
  ...PRIVATE_HEADERS,
}

/**
 * Without Sec-Fetch-Dest (browsers before it), tell a page or an image from
 * a script by `Accept`: a `<script>` asks for `*\/*`, a navigation for
 * `text/html`, an `<img>` for `image/…`. Otherwise a link to a push URL in a
 * post on a configured site would still be the login CSRF in those browsers.
 */
function legacyDestination(request: RequestHead): string | null {
  const accept = (request.headers.get('accept') ?? '').toLowerCase()
  if (accept.includes('text/html')) return 'document'
  if (accept.startsWith('image/')) return 'image'
  return null
}

/** The origin a request says it comes from: `Origin`, else the `Referer`'s origin. */
function requestOrigin(request: RequestHead, known: ReadonlyMap<string, string>): string | null {
  const origin = request.headers.get('origin')
  if (origin !== null && origin !== 'null') return origin
  const referer = request.headers.get('referer')
  if (!referer) return null
  // `referrerpolicy="origin"` sends exactly a configured origin and "/": no URL to parse.
  if (referer.charCodeAt(referer.length - 1) === 47 /* "/" */ && known.has(referer.slice(0, -1))) return referer.slice(0, -1)
  try {
    return new URL(referer).origin
  } catch {
    return null
  }
}
