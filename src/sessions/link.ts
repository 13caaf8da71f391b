import type { LinkVia, SessionStore } from '../stores/store.js'
import { hashCookieValue, newId } from './ids.js'
import { RESERVED_PREFIX } from './reserved.js'
import type { GlobalSession } from './session.js'

/** Reserved data keys naming one site's link to a signed-in session: the prefix, then the link's store hash. */
export const LINK_KEY_PREFIX = `${RESERVED_PREFIX}link/`

/**
 * Give a site its own cookie value for a global session. Returns the value
 * to put in the site's cookie; the store keeps only its hash. The link
 * dies with the session, and never outlives its absolute expiry. For a
 * signed-in session the link is also noted in the session's reserved data
 * (site, how, when), so that its user can see it on "Your sessions" and
 * sign that one site out.
 *
 * @example
 * ```ts
 * const cookieValue = await linkSite(store, session, 'shop-de')
 * headers.append('Set-Cookie', `__Host-ss=${cookieValue}; Path=/; HttpOnly; Secure; SameSite=Lax`)
 * ```
 */
export async function linkSite(
  store: SessionStore,
  session: GlobalSession,
  site: string,
  now = Date.now(),
  via: LinkVia = 'new',
): Promise<string> {
  const cookieValue = newId()
  const hash = hashCookieValue(cookieValue)
  const link = store.insertLink(hash, { sessionId: session.id, site, via, createdAt: now, expiresAt: session.absoluteExpiresAt })
  // Anonymous sessions are nobody's to list: no extra write for them (or for crawlers).
  const noted = session.user ? store.patchSession(session.id, { set: { [`${LINK_KEY_PREFIX}${hash}`]: JSON.stringify({ site, via, at: now }) }, unset: [] }) : null
  await Promise.all([link, noted])
  return cookieValue
}
