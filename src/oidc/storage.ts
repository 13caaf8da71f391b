/**
 * The little storage the OpenID Connect provider needs: JSON values under
 * string keys, each with an expiry, plus sets of strings (to find every token
 * of a grant, every client a hub session signed in to). The session store's
 * contract has no such thing, so the provider keeps its own, in memory, in a
 * SQLite file or in Redis (see docs/adr/0005-oidc-provider.md).
 *
 * Times are milliseconds since the epoch; nothing is returned at or after
 * its expiry.
 *
 * @example
 * ```ts
 * const storage = createMemoryOidcStorage()
 * await storage.set('Grant:abc', { accountId: 'u_42' }, Date.now() + 60_000)
 * await storage.get('Grant:abc') // { accountId: 'u_42' }
 * ```
 */
export interface OidcStorage {
  get(key: string): Promise<unknown>
  set(key: string, value: unknown, expiresAt: number): Promise<void>
  delete(key: string): Promise<void>
  /** Add a member to a set; the set lives at least until `expiresAt`. */
  addToSet(key: string, member: string, expiresAt: number): Promise<void>
  members(key: string): Promise<string[]>
  removeFromSet(key: string, member: string): Promise<void>
  close(): Promise<void>
}

/**
 * An {@link OidcStorage} in this process's memory: for tests and a single
 * hub instance (grants are lost on restart, so every app signs in again).
 *
 * @example
 * ```ts
 * createHub({ ...options, oidc: { clients, signingKey, storage: createMemoryOidcStorage() } })
 * ```
 */
export function createMemoryOidcStorage(now: () => number = Date.now): OidcStorage {
  const values = new Map<string, { json: string; expiresAt: number }>()
  const sets = new Map<string, { members: Set<string>; expiresAt: number }>()
  const live = <T extends { expiresAt: number }>(map: Map<string, T>, key: string): T | undefined => {
    const entry = map.get(key)
    if (entry && entry.expiresAt <= now()) map.delete(key)
    return entry && entry.expiresAt > now() ? entry : undefined
  }
  return {
    async get(key) {
      const entry = live(values, key)
      return entry ? JSON.parse(entry.json) : undefined
    },
    async set(key, value, expiresAt) {
      values.set(key, { json: JSON.stringify(value), expiresAt })
    },
    async delete(key) {
      values.delete(key)
      sets.delete(key)
    },
    async addToSet(key, member, expiresAt) {
      const entry = live(sets, key) ?? { members: new Set<string>(), expiresAt }
      entry.members.add(member)
      entry.expiresAt = Math.max(entry.expiresAt, expiresAt)
      sets.set(key, entry)
    },
    async members(key) {
      return [...(live(sets, key)?.members ?? [])]
    },
    async removeFromSet(key, member) {
      sets.get(key)?.members.delete(member)
    },
    async close() {
      values.clear()
      sets.clear()
    },
  }
}
