import { createHash } from 'node:crypto'
import { decodeJwt } from 'jose'
import { isSharedSessionError } from '../errors/shared-session-error.js'
import { DEFAULT_BACKCHANNEL_POLICY, deliverLogoutToken, signLogoutToken } from '../oidc/backchannel-logout.js'
import { verifyLoginToken } from '../tokens/verify.js'
import type { HubContext } from './options.js'

/** What ended: one session (`sid`), or with no `sid` every session of the user. */
export interface EndedSessions {
  sub: string
  sid?: string
}

/**
 * Tell every site that only reads the token and has a
 * `backchannelLogoutUri` that sessions ended: a Back-Channel Logout 1.0
 * logout token per site (`aud` the site's name, `sub`, and `sid` unless the
 * user signed out everywhere), posted server to server with retries. One
 * session is announced once, whichever path noticed its end first (the
 * store remembers it as a nonce). Resolves when every delivery succeeded or
 * gave up; callers never wait for it, and it never throws.
 *
 * @example
 * ```ts
 * void notifySitesOfLogout(ctx, { sub: session.user.sub, sid: session.id })
 * ```
 */
export async function notifySitesOfLogout(ctx: HubContext, ended: EndedSessions): Promise<void> {
  const sites = ctx.sites.filter((site) => site.backchannelLogoutUri)
  if (sites.length === 0) return
  try {
    const now = ctx.now()
    if (ended.sid !== undefined && !(await ctx.store.consumeNonce(`logout-notified:${ended.sid}`, now + 2 * 86_400_000))) return
    await Promise.all(
      sites.map(async (site) => {
        const token = await signLogoutToken(ctx.ring, { issuer: ctx.issuer, clientId: site.name, sub: ended.sub, sid: ended.sid, now })
        await deliverLogoutToken(site.backchannelLogoutUri!, token, DEFAULT_BACKCHANNEL_POLICY, ctx.log)
      }),
    )
  } catch (err) {
    ctx.log(`shared-session: back-channel logout to the sites failed: ${(err as Error).message}`)
  }
}

/**
 * A browser shows a token cookie whose hub session may have ended without
 * the hub hearing of it (a sign-out at a member in another process,
 * `sessions revoke`, expiry). If the token is the hub's own (signature,
 * issuer, audience; an expired one too: only its authenticity matters) and
 * its session is gone from the store, the sites are told. A token of a live
 * session (one a sibling host tossed, say) announces nothing.
 *
 * @example
 * ```ts
 * void announceIfEnded(ctx, readCookie(request, ctx.tokenCookie.name))
 * ```
 */
export async function announceIfEnded(ctx: HubContext, token: string | undefined): Promise<void> {
  if (!token || !ctx.sites.some((site) => site.backchannelLogoutUri)) return
  // A token looked at is not verified again for a while (a flood of pulls with one stale cookie costs a map
  // lookup each): for good once announced or refused, a minute while its session still lived.
  const seen = examinedTokens(ctx)
  // Keyed by the whole token: a signature glued onto other claims must not stand for the real token.
  const key = createHash('sha256').update(token).digest('base64url')
  const now = ctx.now()
  if ((seen.get(key) ?? -Infinity) > now) return
  seen.delete(key)
  seen.set(key, Infinity)
  if (seen.size > 10_000) seen.delete(seen.keys().next().value!)
  try {
    const { iat } = decodeJwt(token)
    if (typeof iat !== 'number') return
    // Verified as of its own issue time: the signature and claims are checked, its age is not.
    const claims = await verifyLoginToken(ctx.ring.verification, token, { issuer: ctx.issuer, audience: ctx.audience, now: iat * 1000 })
    if (await ctx.store.getSession(claims.sid, now)) {
      seen.set(key, now + 60_000)
      return
    }
    await notifySitesOfLogout(ctx, { sub: claims.sub, sid: claims.sid })
  } catch (err) {
    // Not a token of ours (remembered), or the store is down (asked again next time): nothing to announce now.
    if (isSharedSessionError(err) && err.status >= 500) seen.delete(key)
  }
}

const examined = new WeakMap<HubContext, Map<string, number>>()

/** Until when each token (by its SHA-256) needs no new look for an ended session (bounded, oldest out first). */
function examinedTokens(ctx: HubContext): Map<string, number> {
  let seen = examined.get(ctx)
  if (!seen) examined.set(ctx, (seen = new Map()))
  return seen
}
