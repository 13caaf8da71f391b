import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { guardStore } from '../stores/unavailable.js'
import type { OidcStorage } from './storage.js'

/**
 * An {@link OidcStorage} in a SQLite file (two tables of its own, so it may
 * share the file of the user directory or of the session store). Survives
 * restarts; for one hub host. Errors surface as `ERR_STORE_UNAVAILABLE` (503).
 *
 * @example
 * ```ts
 * const storage = createSqliteOidcStorage({ path: '.shared-session/oidc.sqlite' })
 * ```
 */
export function createSqliteOidcStorage(options: { path: string; now?: () => number }): OidcStorage {
  const now = options.now ?? Date.now
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true })
  const db = new Database(options.path)
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 2000')
  db.exec(`
    CREATE TABLE IF NOT EXISTS oidc_values (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS oidc_sets (key TEXT NOT NULL, member TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (key, member));
  `)
  const sql = {
    get: db.prepare<[string, number], { value: string }>('SELECT value FROM oidc_values WHERE key = ? AND expires_at > ?'),
    set: db.prepare('INSERT INTO oidc_values (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at'),
    deleteValue: db.prepare('DELETE FROM oidc_values WHERE key = ?'),
    deleteSet: db.prepare('DELETE FROM oidc_sets WHERE key = ?'),
    add: db.prepare('INSERT INTO oidc_sets (key, member, expires_at) VALUES (?, ?, ?) ON CONFLICT(key, member) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)'),
    remove: db.prepare('DELETE FROM oidc_sets WHERE key = ? AND member = ?'),
    members: db.prepare<[string, number], { member: string }>('SELECT member FROM oidc_sets WHERE key = ? AND expires_at > ?'),
    sweepValues: db.prepare('DELETE FROM oidc_values WHERE expires_at <= ?'),
    sweepSets: db.prepare('DELETE FROM oidc_sets WHERE expires_at <= ?'),
  }
  let lastSweep = 0
  const guard = <T>(operation: string, run: () => T): Promise<T> =>
    guardStore('sqlite', `oidc ${operation}`, () => {
      const t = now()
      // Expired rows are never read; remove them once a minute so the file does not grow.
      if (t - lastSweep > 60_000) {
        lastSweep = t
        sql.sweepValues.run(t)
        sql.sweepSets.run(t)
      }
      return run()
    })
  return {
    get: (key) => guard('get', () => {
      const row = sql.get.get(key, now())
      return row ? JSON.parse(row.value) : undefined
    }),
    set: (key, value, expiresAt) => guard('set', () => void sql.set.run(key, JSON.stringify(value), expiresAt)),
    delete: (key) => guard('delete', () => {
      sql.deleteValue.run(key)
      sql.deleteSet.run(key)
    }),
    addToSet: (key, member, expiresAt) => guard('addToSet', () => void sql.add.run(key, member, expiresAt)),
    members: (key) => guard('members', () => sql.members.all(key, now()).map((r) => r.member)),
    removeFromSet: (key, member) => guard('removeFromSet', () => void sql.remove.run(key, member)),
    close: async () => void db.close(),
  }
}
