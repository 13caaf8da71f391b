import type { SessionStore } from '../stores/store.js'
import type { SessionPolicy } from './policy.js'
import type { GlobalSession } from './session.js'

/**
 * Record activity on a session, moving its idle expiry forward (never past
 * the absolute expiry). Writes at most once per `touchIntervalMs`, so a busy
 * session does not cost a store write on every request. Returns whether it wrote.
 *
 * @example
 * ```ts
 * await touchSession(store, policy, session)
 * ```
 */
export async function touchSession(store: SessionStore, policy: SessionPolicy, session: GlobalSession, now = Date.now()): Promise<boolean> {
  if (!touchDue(policy, session, now)) return false
  const idleExpiresAt = Math.min(now + policy.idleTimeoutMs, session.absoluteExpiresAt)
  const touched = await store.touchSession(session.id, now, idleExpiresAt)
  if (touched) Object.assign(session, { lastSeenAt: now, idleExpiresAt })
  return touched
}

/**
 * Whether {@link touchSession} would write: the session was last seen at
 * least `touchIntervalMs` ago. Lets a hot path skip the call (and its
 * promise) on the requests in between.
 *
 * @example
 * ```ts
 * if (touchDue(policy, session, now)) await touchSession(store, policy, session, now)
 * ```
 */
export function touchDue(policy: SessionPolicy, session: GlobalSession, now: number): boolean {
  return now - session.lastSeenAt >= policy.touchIntervalMs
}
