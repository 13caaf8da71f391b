import type { Database } from 'better-sqlite3'
import { SharedSessionError } from '../../errors/shared-session-error.js'

/**
 * Schema migrations, oldest first. Migration `i` moves the file from
 * `PRAGMA user_version = i` to `i + 1`. Never edit a released entry: append
 * a new one, so files written by older versions upgrade in place.
 *
 * Why these shapes:
 * - `session_data` holds one row per key, so two writers patching different
 *   keys of one session touch different rows and lose nothing.
 * - `links` and `session_data` cascade from `sessions`, so deleting or
 *   sweeping a session takes its links and data with it in one statement.
 * - expiry columns are indexed because `sweep` deletes by them.
 * - `counters` (migration 2) holds the fixed-window counters of the hub's
 *   sign-in limits, one row per key, updated by one upsert each.
 *
 * @example
 * ```ts
 * const latest = SQLITE_MIGRATIONS.length // the user_version of an up-to-date file
 * ```
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sessions (
    id        TEXT PRIMARY KEY,
    user      TEXT,
    sub       TEXT,
    created   INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    idle_exp  INTEGER NOT NULL,
    abs_exp   INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX sessions_sub ON sessions (sub) WHERE sub IS NOT NULL;
  CREATE INDEX sessions_idle_exp ON sessions (idle_exp);
  CREATE INDEX sessions_abs_exp ON sessions (abs_exp);

  CREATE TABLE session_data (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (session_id, key)
  ) WITHOUT ROWID;

  CREATE TABLE links (
    hash       TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    site       TEXT NOT NULL,
    via        TEXT NOT NULL,
    created    INTEGER NOT NULL,
    expires    INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX links_session_id ON links (session_id);
  CREATE INDEX links_expires ON links (expires);

  CREATE TABLE nonces (
    nonce   TEXT PRIMARY KEY,
    expires INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX nonces_expires ON nonces (expires);
  `,
  `
  CREATE TABLE counters (
    key     TEXT PRIMARY KEY,
    value   INTEGER NOT NULL,
    expires INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX counters_expires ON counters (expires);
  `,
]

/**
 * Brings the file up to the latest schema. Runs inside `BEGIN IMMEDIATE` and
 * re-reads `user_version` there, so two processes opening a new file at the
 * same moment do not both try to create the tables.
 *
 * A read-only connection cannot migrate: it only checks the file is current.
 * A file from a newer shared-session is refused rather than guessed at.
 *
 * @example
 * ```ts
 * const db = new Database(path)
 * migrate(db, false)
 * ```
 */
export function migrate(db: Database, readonly: boolean): void {
  const latest = SQLITE_MIGRATIONS.length
  const versionOf = (): number => db.pragma('user_version', { simple: true }) as number

  const current = versionOf()
  if (current > latest) {
    throw new SharedSessionError(
      'ERR_CONFIG_INVALID',
      `sqlite store: ${db.name} has schema version ${current}, newer than this shared-session understands (${latest}); upgrade shared-session`,
      { detail: 'path' },
    )
  }
  if (current === latest) return
  if (readonly) {
    throw new SharedSessionError(
      'ERR_STORE_UNAVAILABLE',
      `sqlite store: ${db.name} has schema version ${current}, needs ${latest}; open it once without readonly to upgrade it`,
      { detail: 'sqlite' },
    )
  }

  db.transaction(() => {
    for (let version = versionOf(); version < latest; version++) {
      db.exec(SQLITE_MIGRATIONS[version] as string)
      db.pragma(`user_version = ${version + 1}`)
    }
  }).immediate()
}
