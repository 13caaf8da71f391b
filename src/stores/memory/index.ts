import type { Counter, DataPatch, LinkRecord, SessionRecord, SessionStore, StoreCounts } from '../store.js'

/**
 * Options of {@link createMemoryStore}.
 *
 * @example
 * ```ts
 * const options: MemoryStoreOptions = { clock: () => fakeNow, sweepIntervalMs: 60_000 }
 * ```
 */
export interface MemoryStoreOptions {
  /**
   * Wall clock for the checks that take no `now` (`patchSession`,
   * `touchSession`, `deleteSession`, `consumeNonce`, opportunistic sweeps).
   * Defaults to `Date.now`; tests inject a fake one.
   */
  clock?: () => number
  /** At most one opportunistic sweep per this many ms (default 60 000). */
  sweepIntervalMs?: number
}

function isLive(record: SessionRecord, now: number): boolean {
  return record.idleExpiresAt > now && record.absoluteExpiresAt > now
}

// Object.entries/fromEntries keep an own `__proto__` key as data instead of turning it into a prototype.
function copyRecord(record: SessionRecord): SessionRecord {
  return {
    id: record.id,
    user: record.user === null ? null : { ...record.user },
    data: Object.fromEntries(Object.entries(record.data)),
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    idleExpiresAt: record.idleExpiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
  }
}

/**
 * A session store in process memory: for tests, demos and single-process
 * development. Nothing survives a restart and nothing is shared between
 * processes, so do not use it behind a load balancer.
 *
 * Records are copied in and out, so a caller mutating what it passed or got
 * back never changes stored state (the other stores behave that way by
 * nature, and the contract suite holds this one to it).
 *
 * @example
 * ```ts
 * import { createMemoryStore } from 'shared-session/stores/memory'
 * const store = createMemoryStore()
 * await store.insertSession(record)
 * const session = await store.getSession(record.id, Date.now())
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): SessionStore {
  const clock = options.clock ?? Date.now
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000

  const sessions = new Map<string, SessionRecord>()
  const links = new Map<string, LinkRecord>()
  const linksBySession = new Map<string, Set<string>>()
  const sessionsByUser = new Map<string, Set<string>>()
  const nonces = new Map<string, number>()
  const counters = new Map<string, Counter>()
  let lastSweepAt = Number.NEGATIVE_INFINITY

  function liveSession(id: string, now: number): SessionRecord | undefined {
    const record = sessions.get(id)
    return record !== undefined && isLive(record, now) ? record : undefined
  }

  function addToIndex(index: Map<string, Set<string>>, key: string, value: string): void {
    const set = index.get(key)
    if (set === undefined) index.set(key, new Set([value]))
    else set.add(value)
  }

  function removeFromIndex(index: Map<string, Set<string>>, key: string, value: string): void {
    const set = index.get(key)
    if (set === undefined) return
    set.delete(value)
    if (set.size === 0) index.delete(key)
  }

  function removeLink(hash: string): boolean {
    const link = links.get(hash)
    if (link === undefined) return false
    links.delete(hash)
    removeFromIndex(linksBySession, link.sessionId, hash)
    return true
  }

  function removeSession(id: string): boolean {
    const record = sessions.get(id)
    if (record === undefined) return false
    sessions.delete(id)
    if (record.user !== null) removeFromIndex(sessionsByUser, record.user.sub, id)
    for (const hash of linksBySession.get(id) ?? []) links.delete(hash)
    linksBySession.delete(id)
    return true
  }

  function sweepNow(now: number): void {
    lastSweepAt = now
    for (const [id, record] of sessions) if (!isLive(record, now)) removeSession(id)
    for (const [hash, link] of links) if (link.expiresAt <= now) removeLink(hash)
    for (const [nonce, expiresAt] of nonces) if (expiresAt <= now) nonces.delete(nonce)
    for (const [key, counter] of counters) if (counter.expiresAt <= now) counters.delete(key)
  }

  // Without this a long-running dev server would keep every expired session forever.
  function maybeSweep(): void {
    const now = clock()
    if (now - lastSweepAt >= sweepIntervalMs) sweepNow(now)
  }

  return {
    kind: 'memory',

    async insertSession(record) {
      maybeSweep()
      removeSession(record.id)
      sessions.set(record.id, copyRecord(record))
      if (record.user !== null) addToIndex(sessionsByUser, record.user.sub, record.id)
    },

    async getSession(id, now) {
      const record = liveSession(id, now)
      return record === undefined ? null : copyRecord(record)
    },

    async deleteSession(id) {
      const existed = liveSession(id, clock()) !== undefined
      removeSession(id)
      return existed
    },

    async patchSession(id: string, patch: DataPatch) {
      const record = liveSession(id, clock())
      if (record === undefined) return false
      // Build the new data aside and swap it in, so a patch that throws midway leaves nothing half applied.
      const entries = new Map(Object.entries(record.data))
      for (const key of patch.unset) entries.delete(key)
      for (const [key, value] of Object.entries(patch.set)) entries.set(key, value)
      record.data = Object.fromEntries(entries)
      return true
    },

    async touchSession(id, lastSeenAt, idleExpiresAt) {
      const record = liveSession(id, clock())
      if (record === undefined) return false
      record.lastSeenAt = lastSeenAt
      record.idleExpiresAt = idleExpiresAt
      return true
    },

    async insertLink(hash, link) {
      // A link to a session that is not there could never resolve; keeping it would only leak memory.
      if (!sessions.has(link.sessionId)) return
      removeLink(hash)
      links.set(hash, { ...link })
      addToIndex(linksBySession, link.sessionId, hash)
    },

    async resolveLink(hash, now) {
      const link = links.get(hash)
      if (link === undefined || link.expiresAt <= now) return null
      const session = liveSession(link.sessionId, now)
      if (session === undefined) return null
      return { link: { ...link }, session: copyRecord(session) }
    },

    async deleteLink(hash) {
      return removeLink(hash)
    },

    async listUserSessions(sub, now) {
      const found: SessionRecord[] = []
      for (const id of sessionsByUser.get(sub) ?? []) {
        const record = liveSession(id, now)
        if (record !== undefined) found.push(copyRecord(record))
      }
      return found.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    },

    async deleteUserSessions(sub) {
      const now = clock()
      let deleted = 0
      for (const id of [...(sessionsByUser.get(sub) ?? [])]) {
        if (liveSession(id, now) !== undefined) deleted++
        removeSession(id)
      }
      return deleted
    },

    async consumeNonce(nonce, expiresAt) {
      maybeSweep()
      const remembered = nonces.get(nonce)
      if (remembered !== undefined && remembered > clock()) return false
      nonces.set(nonce, expiresAt)
      return true
    },

    async addToCounter(key, delta, expiresAt, now) {
      let counter = counters.get(key)
      if (counter === undefined || counter.expiresAt <= now) {
        if (delta <= 0) return { value: 0, expiresAt }
        maybeSweep()
        counters.set(key, (counter = { value: 0, expiresAt }))
      }
      counter.value = Math.max(0, counter.value + delta)
      return { ...counter }
    },

    async deleteCounter(key) {
      counters.delete(key)
    },

    async count(now): Promise<StoreCounts> {
      let liveSessions = 0
      for (const record of sessions.values()) if (isLive(record, now)) liveSessions++
      let liveLinks = 0
      for (const link of links.values()) if (link.expiresAt > now && liveSession(link.sessionId, now) !== undefined) liveLinks++
      let liveNonces = 0
      for (const expiresAt of nonces.values()) if (expiresAt > now) liveNonces++
      return { sessions: liveSessions, links: liveLinks, nonces: liveNonces }
    },

    async sweep(now) {
      sweepNow(now)
    },

    async close() {
      sessions.clear()
      links.clear()
      linksBySession.clear()
      sessionsByUser.clear()
      nonces.clear()
      counters.clear()
    },
  }
}
