import { isSharedSessionError } from '../errors/shared-session-error.js'
import { readCookie } from '../http/cookies.js'
import { resolveCookie } from '../sessions/resolve.js'
import type { GlobalSession } from '../sessions/session.js'
import { HUB_SITE, type HubContext } from './options.js'
import type { RequestWithBody } from '../http/request-head.js'

/**
 * The global session behind the hub's own cookie, or null.
 *
 * @example
 * ```ts
 * const session = await hubSession(ctx, request)
 * ```
 */
export function hubSession(ctx: HubContext, request: RequestWithBody): Promise<GlobalSession | null> {
  return resolveCookie(ctx.store, HUB_SITE, readCookie(request, ctx.cookies.session.name), ctx.now())
}

/**
 * The client's address for rate limiting: the peer, or with `trustProxy`
 * the left-most `X-Forwarded-For` entry.
 *
 * @example
 * ```ts
 * const address = clientAddress(ctx, request, info.clientAddress)
 * ```
 */
export function clientAddress(ctx: HubContext, request: RequestWithBody, peer: string): string {
  if (!ctx.trustProxy) return peer
  const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim()
  return forwarded || peer
}

/**
 * The url-encoded form of a POST, or an empty form when the body is not one.
 * A body over the adapter's limit is an `ERR_BODY_TOO_LARGE` (413), never a reset connection.
 *
 * @example
 * ```ts
 * const form = await readForm(request)
 * form.get('username')
 * ```
 */
export async function readForm(request: RequestWithBody): Promise<URLSearchParams> {
  const type = request.headers.get('content-type') ?? ''
  if (!type.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams()
  try {
    return new URLSearchParams(await request.text())
  } catch (err) {
    // Too large is the client's to know (413); a body that cannot be read otherwise is no form.
    if (isSharedSessionError(err, 'ERR_BODY_TOO_LARGE')) throw err
    return new URLSearchParams()
  }
}
