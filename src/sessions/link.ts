import type { LinkVia, SessionStore } from '../stores/store.js'
import { hashCookieValue, newId } from './ids.js'
import type { GlobalSession } from './session.js'

/**
 * Give a site its own cookie value for a global session. Returns the value
 * to put in the site's cookie; the store keeps only its hash. The link
 * dies with the session, and never outlives its absolute expiry.
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
  await store.insertLink(hashCookieValue(cookieValue), {
    sessionId: session.id,
    site,
    via,
    createdAt: now,
    expiresAt: session.absoluteExpiresAt,
  })
  return cookieValue
}
