import { isSharedSessionError } from '../errors/shared-session-error.js'
import { readCookie } from '../http/cookies.js'
import type { RequestHead } from '../http/request-head.js'
import { fromRecord, type GlobalSession } from '../sessions/session.js'
import type { MemberContext } from './options.js'

/**
 * For a member on the hub's parent domain: the live global session named by
 * a valid hub token cookie, or null. Lets `forum.acme.com` pick up a login
 * made at `auth.acme.com` on the very first request, with no redirect. The
 * token is verified with the deployment's own keys; a token whose session
 * has ended names nothing.
 *
 * @example
 * ```ts
 * const session = await sessionFromToken(ctx, request)
 * ```
 */
export async function sessionFromToken(ctx: MemberContext, request: RequestHead): Promise<GlobalSession | null> {
  if (!ctx.token) return null
  const token = readCookie(request, ctx.token.cookie)
  if (!token) return null
  try {
    const now = ctx.now()
    const claims = await ctx.token.verify(ctx.ring.verification, token, now)
    const record = await ctx.store.getSession(claims.sid, now)
    return record && record.user?.sub === claims.sub ? fromRecord(record) : null
  } catch (err) {
    if (isSharedSessionError(err) && err.status < 500) return null
    throw err
  }
}
