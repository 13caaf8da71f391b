import { SharedSessionError } from '../errors/shared-session-error.js'
import type { SessionStore } from '../stores/store.js'
import { toPatch } from './session.js'

/**
 * Change some keys of a session's data; `undefined` removes a key. The
 * store applies the patch atomically and per key, so two sites writing
 * different keys at the same moment both keep their writes.
 *
 * @example
 * ```ts
 * await patchSession(store, session.id, { cart: [...cart, 'book'], coupon: undefined })
 * ```
 */
export async function patchSession(store: SessionStore, sessionId: string, changes: Record<string, unknown>): Promise<void> {
  const patch = toPatch(changes)
  if (Object.keys(patch.set).length === 0 && patch.unset.length === 0) return
  if (!(await store.patchSession(sessionId, patch))) {
    throw new SharedSessionError('ERR_SESSION_NOT_FOUND', 'the session no longer exists (logged out or expired)')
  }
}
