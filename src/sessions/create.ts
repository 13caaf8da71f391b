import type { SessionRecord, SessionStore, SessionUser } from '../stores/store.js'
import { newId } from './ids.js'
import type { SessionPolicy } from './policy.js'
import { fromRecord, toPatch, type GlobalSession } from './session.js'

/**
 * Start a new global session, anonymous or for a user, with optional data.
 * `idleMs` shortens the first idle period (a session nobody has taken yet).
 *
 * @example
 * ```ts
 * const session = await createSession(store, policy, { data: { cart: [] } })
 * ```
 */
export async function createSession(
  store: SessionStore,
  policy: SessionPolicy,
  input: { user?: SessionUser | null; data?: Record<string, unknown>; now?: number; idleMs?: number } = {},
): Promise<GlobalSession> {
  const now = input.now ?? Date.now()
  const absoluteExpiresAt = now + policy.absoluteTimeoutMs
  const record: SessionRecord = {
    id: newId(),
    user: input.user ?? null,
    data: toPatch(input.data ?? {}).set,
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt: Math.min(now + (input.idleMs ?? policy.idleTimeoutMs), absoluteExpiresAt),
    absoluteExpiresAt,
  }
  await store.insertSession(record)
  return fromRecord(record)
}
