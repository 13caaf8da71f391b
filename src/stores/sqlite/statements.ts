import type { Database, Statement } from 'better-sqlite3'
import type { LinkRecord, LinkVia, SessionRecord, SessionUser } from '../store.js'

/**
 * One row of a session joined with (at most) one of its data entries.
 *
 * @example
 * ```ts
 * const rows = sql.selectSession.all({ id, now }) as SessionRow[]
 * ```
 */
export interface SessionRow {
  id: string
  user: string | null
  created: number
  last_seen: number
  idle_exp: number
  abs_exp: number
  key: string | null
  value: string | null
}

/**
 * A {@link SessionRow} that also carries the link it was reached through.
 *
 * @example
 * ```ts
 * const rows = sql.selectLinkedSession.all({ hash, now }) as LinkedSessionRow[]
 * ```
 */
export interface LinkedSessionRow extends SessionRow {
  link_site: string
  link_via: string
  link_created: number
  link_expires: number
}

const SESSION_COLUMNS = 's.id, s.user, s.created, s.last_seen, s.idle_exp, s.abs_exp, d.key, d.value'
const LIVE = 's.idle_exp > @now AND s.abs_exp > @now'

const SQL = {
  selectSession: `SELECT ${SESSION_COLUMNS} FROM sessions s LEFT JOIN session_data d ON d.session_id = s.id
    WHERE s.id = @id AND ${LIVE}`,
  selectLinkedSession: `SELECT ${SESSION_COLUMNS}, l.site AS link_site, l.via AS link_via, l.created AS link_created, l.expires AS link_expires
    FROM links l JOIN sessions s ON s.id = l.session_id LEFT JOIN session_data d ON d.session_id = s.id
    WHERE l.hash = @hash AND l.expires > @now AND ${LIVE}`,
  selectUserSessions: `SELECT ${SESSION_COLUMNS} FROM sessions s LEFT JOIN session_data d ON d.session_id = s.id
    WHERE s.sub = @sub AND ${LIVE} ORDER BY s.created, s.id`,
  sessionIsLive: `SELECT 1 FROM sessions s WHERE s.id = @id AND ${LIVE}`,

  deleteSession: 'DELETE FROM sessions WHERE id = @id RETURNING idle_exp, abs_exp',
  deleteUserSessions: 'DELETE FROM sessions WHERE sub = @sub RETURNING idle_exp, abs_exp',
  insertSession: `INSERT INTO sessions (id, user, sub, created, last_seen, idle_exp, abs_exp)
    VALUES (@id, @user, @sub, @created, @lastSeen, @idleExp, @absExp)`,
  touchSession: `UPDATE sessions AS s SET last_seen = @lastSeen, idle_exp = @idleExp WHERE s.id = @id AND ${LIVE}`,

  upsertData: `INSERT INTO session_data (session_id, key, value) VALUES (@id, @key, @value)
    ON CONFLICT (session_id, key) DO UPDATE SET value = excluded.value`,
  deleteData: 'DELETE FROM session_data WHERE session_id = @id AND key = @key',

  // A link to a missing session could never resolve, so it is not stored (and the foreign key would refuse it).
  insertLink: `INSERT OR REPLACE INTO links (hash, session_id, site, via, created, expires)
    SELECT @hash, @sessionId, @site, @via, @created, @expires WHERE EXISTS (SELECT 1 FROM sessions WHERE id = @sessionId)`,
  deleteLink: 'DELETE FROM links WHERE hash = @hash',

  // One statement, so SQLite's write lock makes "first consumer wins" hold across processes.
  consumeNonce: `INSERT INTO nonces (nonce, expires) VALUES (@nonce, @expires)
    ON CONFLICT (nonce) DO UPDATE SET expires = excluded.expires WHERE nonces.expires <= @now`,

  // One statement each, so SQLite's write lock makes concurrent additions add up across processes.
  // An expired counter starts over in the caller's window (SET reads the row as it was).
  addToCounter: `INSERT INTO counters (key, value, expires) VALUES (@key, @delta, @expires)
    ON CONFLICT (key) DO UPDATE SET
      value = max(0, CASE WHEN counters.expires <= @now THEN 0 ELSE counters.value END + @delta),
      expires = CASE WHEN counters.expires <= @now THEN excluded.expires ELSE counters.expires END
    RETURNING value, expires`,
  // A delta of 0 or less never starts a counter: it only changes a live one.
  subtractFromCounter: `UPDATE counters SET value = max(0, value + @delta) WHERE key = @key AND expires > @now RETURNING value, expires`,
  deleteCounter: 'DELETE FROM counters WHERE key = @key',

  countSessions: `SELECT count(*) FROM sessions s WHERE ${LIVE}`,
  countLinks: `SELECT count(*) FROM links l JOIN sessions s ON s.id = l.session_id WHERE l.expires > @now AND ${LIVE}`,
  countNonces: 'SELECT count(*) FROM nonces WHERE expires > @now',

  sweepSessions: 'DELETE FROM sessions WHERE idle_exp <= @now OR abs_exp <= @now',
  sweepLinks: 'DELETE FROM links WHERE expires <= @now',
  sweepNonces: 'DELETE FROM nonces WHERE expires <= @now',
  sweepCounters: 'DELETE FROM counters WHERE expires <= @now',
} as const

/**
 * The prepared statements of one store, by name.
 *
 * @example
 * ```ts
 * const sql: Statements = prepareStatements(db)
 * ```
 */
export type Statements = { readonly [name in keyof typeof SQL]: Statement }

/**
 * Every statement the store runs, prepared once when the store opens (SQLite
 * then plans each query once, not per call).
 *
 * Reads that return a session join its data in the same statement, so one
 * statement sees one consistent snapshot even while another process patches.
 *
 * @example
 * ```ts
 * const sql = prepareStatements(db)
 * const rows = sql.selectSession.all({ id, now }) as SessionRow[]
 * ```
 */
export function prepareStatements(db: Database): Statements {
  const prepared = Object.fromEntries(Object.entries(SQL).map(([name, source]) => [name, db.prepare(source)]))
  return prepared as Statements
}


/**
 * Folds joined rows (one per data entry, ordered by session) back into
 * records, keeping the order sessions first appear in.
 *
 * @example
 * ```ts
 * const [record] = rowsToSessions(sql.selectSession.all({ id, now }) as SessionRow[])
 * ```
 */
export function rowsToSessions(rows: readonly SessionRow[]): SessionRecord[] {
  const byId = new Map<string, { row: SessionRow; entries: [string, string][] }>()
  for (const row of rows) {
    let group = byId.get(row.id)
    if (group === undefined) byId.set(row.id, (group = { row, entries: [] }))
    if (row.key !== null && row.value !== null) group.entries.push([row.key, row.value])
  }
  return [...byId.values()].map(({ row, entries }) => ({
    id: row.id,
    user: row.user === null ? null : (JSON.parse(row.user) as SessionUser),
    // fromEntries keeps a `__proto__` key as data rather than setting the prototype.
    data: Object.fromEntries(entries),
    createdAt: row.created,
    lastSeenAt: row.last_seen,
    idleExpiresAt: row.idle_exp,
    absoluteExpiresAt: row.abs_exp,
  }))
}

/**
 * The link part of the first row of a `selectLinkedSession` result.
 *
 * @example
 * ```ts
 * const link = rowToLink(rows[0])
 * ```
 */
export function rowToLink(row: LinkedSessionRow): LinkRecord {
  return { sessionId: row.id, site: row.link_site, via: row.link_via as LinkVia, createdAt: row.link_created, expiresAt: row.link_expires }
}
