import type { SessionStore, SessionUser } from '../stores/store.js'
import { createSession } from './create.js'
import type { SessionPolicy } from './policy.js'
import type { GlobalSession } from './session.js'

/**
 * Replace a session by a brand-new one at login (or logout to anonymous):
 * the data is carried over (the anonymous cart survives), the old session
 * and every site's link to it die. This is what defeats session fixation:
 * no id known before login is valid after it.
 *
 * @example
 * ```ts
 * const fresh = await rotateSession(store, policy, anonymous?.id ?? null, { user: alice })
 * ```
 */
export async function rotateSession(
  store: SessionStore,
  policy: SessionPolicy,
  oldSessionId: string | null,
  input: { user: SessionUser | null; now?: number },
): Promise<GlobalSession> {
  const now = input.now ?? Date.now()
  const old = oldSessionId === null ? null : await store.getSession(oldSessionId, now)
  const data: Record<string, unknown> = {}
  for (const [key, json] of Object.entries(old?.data ?? {})) Object.defineProperty(data, key, { value: JSON.parse(json), enumerable: true })
  const fresh = await createSession(store, policy, { user: input.user, data, now })
  if (old) await store.deleteSession(old.id)
  return fresh
}
