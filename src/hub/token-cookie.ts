import { setCookie } from '../http/cookies.js'
import type { GlobalSession } from '../sessions/session.js'
import { signLoginToken } from '../tokens/sign.js'
import type { HubContext } from './options.js'

/**
 * The `Set-Cookie` for the signed login token on the parent domain, or null
 * when the hub has no parent domain or the session is anonymous. The cookie
 * lives as long as the session while the token inside expires in minutes:
 * a member that sees an expired token knows to ask the hub for a fresh one.
 *
 * @example
 * ```ts
 * const cookie = await tokenCookieFor(ctx, session)
 * if (cookie) headers['set-cookie'].push(cookie)
 * ```
 */
export async function tokenCookieFor(ctx: HubContext, session: GlobalSession): Promise<string | null> {
  if (!ctx.tokenCookie || !session.user) return null
  const now = ctx.now()
  const token = await signLoginToken(ctx.ring, {
    issuer: ctx.issuer,
    audience: ctx.audience,
    user: session.user,
    sid: session.id,
    ttlSeconds: ctx.tokenTtlSeconds,
    now,
  })
  return setCookie(ctx.tokenCookie, token, (session.absoluteExpiresAt - now) / 1000)
}
