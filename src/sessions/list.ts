import type { SessionStore } from '../stores/store.js'
import { fromRecord, type GlobalSession } from './session.js'

/**
 * The live sessions of a user, oldest first (for "your devices" pages and
 * `shared-session sessions list`).
 *
 * @example
 * ```ts
 * for (const s of await listUserSessions(store, 'u_42')) console.log(s.id, new Date(s.lastSeenAt))
 * ```
 */
export async function listUserSessions(store: SessionStore, sub: string, now = Date.now()): Promise<GlobalSession[]> {
  return (await store.listUserSessions(sub, now)).map(fromRecord)
}
