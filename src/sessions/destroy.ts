import type { SessionStore } from '../stores/store.js'
import type { GlobalSession } from './session.js'
import { hashCookieValue, isWellFormedId } from './ids.js'
import { LINK_KEY_PREFIX } from './link.js'

/**
 * Log a session out everywhere it is linked: every site sees it gone on its
 * next request. True when it existed.
 *
 * @example
 * ```ts
 * await destroySession(store, session.id)
 * ```
 */
export function destroySession(store: SessionStore, sessionId: string): Promise<boolean> {
  return store.deleteSession(sessionId)
}

/**
 * "Log out everywhere": destroy every session of a user, on every device.
 * Returns how many were destroyed.
 *
 * @example
 * ```ts
 * const n = await destroyUserSessions(store, user.sub)
 * ```
 */
export function destroyUserSessions(store: SessionStore, sub: string): Promise<number> {
  return store.deleteUserSessions(sub)
}

/**
 * Log one site out, leaving the global session and other sites alone.
 * True when the link existed.
 *
 * @example
 * ```ts
 * await unlinkSite(store, cookies['__Host-ss'])
 * ```
 */
export async function unlinkSite(store: SessionStore, cookieValue: unknown): Promise<boolean> {
  return isWellFormedId(cookieValue) ? store.deleteLink(hashCookieValue(cookieValue)) : false
}

/**
 * Sign one site out of a session by the link's store hash (from
 * `mapUserSessions`): the link goes, and so does its note in the session
 * map. The session and its other sites live on. True when the link existed.
 *
 * @example
 * ```ts
 * const held = mapped.sites.find((s) => s.ref === form.get('site'))
 * if (held) await unlinkHeldSite(store, mapped.session.id, held.hash)
 * ```
 */
export async function unlinkHeldSite(store: SessionStore, sessionId: string, hash: string): Promise<boolean> {
  const existed = await store.deleteLink(hash)
  await store.patchSession(sessionId, { set: {}, unset: [`${LINK_KEY_PREFIX}${hash}`] })
  return existed
}

/**
 * Log out: end this session, or with `everywhere` (and a signed-in user)
 * every session of its user. The one rule behind every logout endpoint.
 *
 * @example
 * ```ts
 * await endSession(store, session, { everywhere: form.get('everywhere') === '1' })
 * ```
 */
export async function endSession(store: SessionStore, session: GlobalSession, options: { everywhere: boolean }): Promise<void> {
  if (options.everywhere && session.user) await destroyUserSessions(store, session.user.sub)
  else await destroySession(store, session.id)
}
