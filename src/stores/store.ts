/**
 * The contract every session store fulfils. Memory, SQLite and Redis
 * implement it and run one shared contract suite (`test/stores/contract.ts`).
 *
 * Stores are deliberately dumb: they persist records and apply atomic
 * per-key patches. Policy (lifetimes, id formats, rotation) lives in
 * `src/sessions/`, once, so every store behaves the same.
 *
 * Times are milliseconds since the epoch. A store never returns a record
 * whose expiry is at or before the `now` it is given.
 */

/**
 * The user a global session belongs to. `sub` is the hub's stable user id;
 * consumers key their local users by (`iss`, `sub`), never by e-mail.
 *
 * @example
 * ```ts
 * const user: SessionUser = { sub: 'u_42', username: 'alice', email: 'alice@example.com', name: 'Alice' }
 * ```
 */
export interface SessionUser {
  sub: string
  username: string
  email?: string
  name?: string
}

/**
 * A global session as the store keeps it. `data` values are JSON text, one
 * entry per key, so that patches to different keys never overwrite each other.
 *
 * @example
 * ```ts
 * const record: SessionRecord = {
 *   id, user: null, data: { cart: '["book"]' },
 *   createdAt: now, lastSeenAt: now, idleExpiresAt: now + 3_600_000, absoluteExpiresAt: now + 86_400_000,
 * }
 * ```
 */
export interface SessionRecord {
  /** Internal global id (256 random bits, base64url). Never a cookie value. */
  id: string
  user: SessionUser | null
  /** key → JSON text of the value */
  data: Record<string, string>
  createdAt: number
  lastSeenAt: number
  idleExpiresAt: number
  absoluteExpiresAt: number
}

/**
 * A site's link to a global session. The store keys it by the SHA-256 hash
 * of the site's cookie value, never by the cookie value itself.
 *
 * @example
 * ```ts
 * const link: LinkRecord = { sessionId, site: 'shop', via: 'new', createdAt: now, expiresAt: record.absoluteExpiresAt }
 * ```
 */
export interface LinkRecord {
  sessionId: string
  /** The configured site name the cookie was issued for. */
  site: string
  /** How the site came to hold this session (shown to people; never a security decision). */
  via: LinkVia
  createdAt: number
  expiresAt: number
}

/**
 * How a site got its link: it started the session (`new`), by the script
 * push (`push`), by the redirect pull (`pull`), at login (`login`), or from
 * the parent-domain token (`token`).
 *
 * @example
 * ```ts
 * const via: LinkVia = 'push'
 * ```
 */
export type LinkVia = 'new' | 'push' | 'pull' | 'login' | 'token'

/**
 * A per-key patch of session data: `set` maps keys to JSON text, `unset`
 * lists keys to remove. Applied atomically: all of it or none of it.
 *
 * @example
 * ```ts
 * const patch: DataPatch = { set: { cart: '["book"]' }, unset: ['coupon'] }
 * ```
 */
export interface DataPatch {
  set: Record<string, string>
  unset: string[]
}

/**
 * Counts of live records, for tests and operators (not a hot path).
 *
 * @example
 * ```ts
 * const { sessions, links, nonces } = await store.count()
 * ```
 */
export interface StoreCounts {
  sessions: number
  links: number
  nonces: number
}

/**
 * A fixed-window counter as a store returns it: its value and when its
 * window ends. The hub's sign-in limits are such counters, kept in the store
 * so that every hub instance on it counts together.
 *
 * @example
 * ```ts
 * const { value, expiresAt } = await store.addToCounter('limit:account:alice', 1, now + 900_000, now)
 * if (value > 5) refuse(expiresAt - now)
 * ```
 */
export interface Counter {
  value: number
  expiresAt: number
}

/**
 * The session store contract. Every method may reject with a
 * `SharedSessionError` of code `ERR_STORE_UNAVAILABLE` (within a bounded
 * time) when the backing store is down, locked or read-only; a later call
 * succeeds once it is back, with no action by the caller.
 *
 * @example
 * ```ts
 * import { createSqliteStore } from 'shared-session/stores/sqlite'
 * const store: SessionStore = createSqliteStore({ path: '.shared-session/sessions.sqlite' })
 * await store.insertSession(record)
 * const found = await store.resolveLink(linkHash, Date.now())
 * ```
 */
export interface SessionStore {
  /** `memory`, `sqlite`, `redis` or `postgres`: for logs and errors. */
  readonly kind: string

  /** Insert a new global session (ids are random; collisions are not expected). */
  insertSession(record: SessionRecord): Promise<void>
  /** The live session with this id, or null when missing or expired at `now`. */
  getSession(id: string, now: number): Promise<SessionRecord | null>
  /** Delete a session; its links die with it. True when it existed. */
  deleteSession(id: string): Promise<boolean>
  /**
   * Apply a per-key data patch atomically, only if the session exists.
   * False when it does not (nothing is written then).
   */
  patchSession(id: string, patch: DataPatch): Promise<boolean>
  /**
   * Record activity: set `lastSeenAt` and `idleExpiresAt`, only if the
   * session exists. False when it does not.
   */
  touchSession(id: string, lastSeenAt: number, idleExpiresAt: number): Promise<boolean>

  /** Store a link under the hash of a site's cookie value. */
  insertLink(hash: string, link: LinkRecord): Promise<void>
  /**
   * The link with this hash and its live session, in one round trip where
   * the store allows. Null when the link or its session is missing or
   * expired at `now`. Never writes.
   */
  resolveLink(hash: string, now: number): Promise<{ link: LinkRecord; session: SessionRecord } | null>
  /** Delete one link (log out one site). True when it existed. */
  deleteLink(hash: string): Promise<boolean>

  /** The live sessions of a user at `now`, oldest first. */
  listUserSessions(sub: string, now: number): Promise<SessionRecord[]>
  /** Delete every session of a user; returns how many were deleted. */
  deleteUserSessions(sub: string): Promise<number>

  /**
   * Record a single-use nonce until `expiresAt`. True exactly once per
   * nonce while it is remembered, even under concurrent calls from many
   * processes.
   */
  consumeNonce(nonce: string, expiresAt: number): Promise<boolean>

  /**
   * Add `delta` (a whole number) to the counter `key` and return it, atomically even under
   * concurrent calls from many processes. A counter missing or expired at `now` counts from 0
   * in a new window ending at `expiresAt`; a live one keeps its window. It never goes below 0,
   * and a `delta` of 0 or less never starts one (0 only reads). Counters live apart from
   * sessions, links and nonces: no key of theirs collides with a counter's, and `count` leaves
   * them out.
   */
  addToCounter(key: string, delta: number, expiresAt: number, now: number): Promise<Counter>
  /** Forget the counter `key` (nothing happens when there is none). */
  deleteCounter(key: string): Promise<void>

  /** Live record counts (may scan; not for hot paths). */
  count(now: number): Promise<StoreCounts>
  /** Remove expired records now (stores with native expiry may do nothing). */
  sweep(now: number): Promise<void>
  /** Release connections and file handles. */
  close(): Promise<void>
}
