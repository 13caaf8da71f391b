import type { LinkRecord, SessionStore } from '../stores/store.js'
import { hashCookieValue, isWellFormedId } from './ids.js'
import { fromRecord, type GlobalSession } from './session.js'

/**
 * The global session behind a site's cookie value and the site's link to
 * it, or null. A malformed value is no session without asking the store; a
 * value issued for another site is no session either, so a cookie stolen
 * from one site opens only that site. Never writes.
 *
 * @example
 * ```ts
 * const found = await resolveLinkedSession(store, 'shop', cookies['__Host-ss'])
 * found?.link.via // 'push'
 * ```
 */
export async function resolveLinkedSession(
  store: SessionStore,
  site: string,
  cookieValue: unknown,
  now = Date.now(),
): Promise<{ session: GlobalSession; link: LinkRecord } | null> {
  if (!isWellFormedId(cookieValue)) return null
  const found = await store.resolveLink(hashCookieValue(cookieValue), now)
  if (!found || found.link.site !== site) return null
  return { session: fromRecord(found.session), link: found.link }
}

/**
 * The global session behind a site's cookie value, or null (see
 * {@link resolveLinkedSession}).
 *
 * @example
 * ```ts
 * const session = await resolveCookie(store, 'shop', cookies['__Host-ss'])
 * session?.user?.username // 'alice'
 * ```
 */
export async function resolveCookie(store: SessionStore, site: string, cookieValue: unknown, now = Date.now()): Promise<GlobalSession | null> {
  return (await resolveLinkedSession(store, site, cookieValue, now))?.session ?? null
}
