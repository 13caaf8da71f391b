import type { SessionStore, SessionUser } from '../stores/store.js'
import { createSession } from './create.js'
import { withoutReserved } from './reserved.js'
import type { SessionPolicy } from './policy.js'
import type { GlobalSession } from './session.js'

/**
 * Replace a session by a brand-new one at login (or logout to anonymous):
 * the old session and every site's link to it die, which defeats session
 * fixation (no id known before login is valid after it). Data is carried
 * over only from an anonymous session (the cart put in before signing in);
 * a signed-in user's data never passes to whoever signs in next on the
 * same browser. Reserved keys (the session map) never carry over.
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
  const carried = old && old.user === null ? withoutReserved(old.data) : {}
  for (const [key, json] of Object.entries(carried)) Object.defineProperty(data, key, { value: JSON.parse(json), enumerable: true })
  const fresh = await createSession(store, policy, { user: input.user, data, now })
  if (old) await store.deleteSession(old.id)
  return fresh
}
