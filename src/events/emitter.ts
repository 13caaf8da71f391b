import type { LinkVia, SessionUser } from '../stores/store.js'

/**
 * The events of shared-session and what each carries. `session.replaced`
 * keeps the name and meaning of django-shared-session's signal: it fires on
 * the destination when a handoff linked it to the source's session.
 *
 * @example
 * ```ts
 * member.events.on('session.replaced', (e) => log(`${e.dst} took the session of ${e.src} by ${e.via}`))
 * ```
 */
export interface SessionEvents {
  'session.created': { site: string; sessionId: string }
  'session.replaced': { site: string; src: string; dst: string; wasEmpty: boolean; via: Extract<LinkVia, 'push' | 'pull' | 'token'> }
  /**
   * A site replaced an anonymous session by another one (a sign-in from the
   * hub, or a session the hub made anew after its cookies were deleted) and
   * carried the anonymous data over: both sides and what was written.
   */
  'session.merged': { site: string; src: string; sessionId: string; anonymous: Record<string, unknown>; adopted: Record<string, unknown>; changes: Record<string, unknown> }
  login: { site: string; sessionId: string; user: SessionUser }
  logout: { site: string; sessionId: string; user: SessionUser | null; everywhere: boolean }
}

/** A listener for one event. */
export type Listener<K extends keyof SessionEvents> = (event: SessionEvents[K]) => void | Promise<void>

/**
 * A small typed event emitter. A listener that throws or rejects is logged
 * and never breaks the request that emitted the event.
 *
 * @example
 * ```ts
 * const events = createEmitter(console.error)
 * const off = events.on('login', ({ user }) => audit(user.sub))
 * ```
 */
export interface Emitter {
  on<K extends keyof SessionEvents>(name: K, listener: Listener<K>): () => void
  emit<K extends keyof SessionEvents>(name: K, event: SessionEvents[K]): void
}

/**
 * Create an {@link Emitter}.
 *
 * @example
 * ```ts
 * const events = createEmitter((message) => logger.warn(message))
 * ```
 */
export function createEmitter(log: (message: string) => void): Emitter {
  const listeners = new Map<string, Set<(event: never) => void | Promise<void>>>()
  return {
    on(name, listener) {
      const set = listeners.get(name) ?? new Set()
      listeners.set(name, set)
      set.add(listener as (event: never) => void)
      return () => void set.delete(listener as (event: never) => void)
    },
    emit(name, event) {
      for (const listener of listeners.get(name) ?? []) {
        try {
          Promise.resolve((listener as (e: typeof event) => void | Promise<void>)(event)).catch((err: unknown) => log(`shared-session: a "${name}" listener failed: ${String(err)}`))
        } catch (err) {
          log(`shared-session: a "${name}" listener failed: ${String(err)}`)
        }
      }
    },
  }
}
