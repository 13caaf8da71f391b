import { SharedSessionError } from '../errors/shared-session-error.js'
import type { SessionStore } from '../stores/store.js'
import { toPatch } from './session.js'

/**
 * Change some keys of a session's data; `undefined` removes a key. The
 * store applies the patch atomically and per key, so two sites writing
 * different keys at the same moment both keep their writes. Returns the
 * patch it wrote (each set value as its JSON text), so a caller keeping a
 * copy of the data need not serialise again.
 *
 * @example
 * ```ts
 * await patchSession(store, session.id, { cart: [...cart, 'book'], coupon: undefined })
 * ```
 */
export async function patchSession(store: SessionStore, sessionId: string, changes: Record<string, unknown>): Promise<{ set: Record<string, string>; unset: string[] }> {
  const patch = toPatch(changes)
  let empty = patch.unset.length === 0
  for (const _ in patch.set) {
    empty = false
    break
  }
  if (empty) return patch
  if (!(await store.patchSession(sessionId, patch))) {
    throw new SharedSessionError('ERR_SESSION_NOT_FOUND', 'the session no longer exists (logged out or expired)')
  }
  return patch
}
