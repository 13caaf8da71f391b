import type { LinkRecord, LinkVia, SessionRecord, SessionUser } from '../store.js'
import { fromPgText, toPgText } from './text.js'

const SESSION_COLUMNS = 's.id, s."user", s.data, s.created, s.last_seen, s.idle_exp, s.abs_exp'
const LIVE = 's.idle_exp > $2 AND s.abs_exp > $2'

/**
 * Every statement the store runs, for one schema (`S` is the quoted schema
 * name, validated at construction). Each is one statement, so each is
 * atomic on its own and none needs a transaction: expiry is checked in the
 * WHERE clause with the `now` the caller gives, so no read ever scans.
 *
 * @example
 * ```ts
 * const sql = statements('"shared_session"')
 * await pool.query(sql.getSession, [id, now])
 * ```
 */
export function statements(S: string) {
  return {
    getSession: `SELECT ${SESSION_COLUMNS} FROM ${S}.sessions s WHERE s.id = $1 AND ${LIVE}`,
    resolveLink: `SELECT ${SESSION_COLUMNS}, l.site AS link_site, l.via AS link_via, l.created AS link_created, l.expires AS link_expires
      FROM ${S}.links l JOIN ${S}.sessions s ON s.id = l.session_id
      WHERE l.hash = $1 AND l.expires > $2 AND ${LIVE}`,
    listUserSessions: `SELECT ${SESSION_COLUMNS} FROM ${S}.sessions s WHERE s.sub = $1 AND ${LIVE}`,

    // A re-used id replaces the old session; its links die with it, as when it is deleted.
    insertSession: `WITH gone AS (DELETE FROM ${S}.links WHERE session_id = $1)
      INSERT INTO ${S}.sessions (id, sub, "user", data, created, last_seen, idle_exp, abs_exp)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
      ON CONFLICT (id) DO UPDATE SET sub = excluded.sub, "user" = excluded."user", data = excluded.data, created = excluded.created,
        last_seen = excluded.last_seen, idle_exp = excluded.idle_exp, abs_exp = excluded.abs_exp`,
    deleteSession: `DELETE FROM ${S}.sessions WHERE id = $1 RETURNING idle_exp, abs_exp`,
    deleteUserSessions: `DELETE FROM ${S}.sessions WHERE sub = $1 RETURNING idle_exp, abs_exp`,
    // Under READ COMMITTED, a second UPDATE of the row waits for the first and applies its expression to the row the first wrote.
    patchSession: `UPDATE ${S}.sessions s SET data = (s.data - $3::text[]) || $4::jsonb WHERE s.id = $1 AND ${LIVE}`,
    touchSession: `UPDATE ${S}.sessions s SET last_seen = $3, idle_exp = $4 WHERE s.id = $1 AND ${LIVE}`,

    // FOR KEY SHARE holds the session against a concurrent delete until the link is in;
    // a link to a missing session could never resolve, so it is not stored.
    insertLink: `WITH s AS (SELECT id FROM ${S}.sessions WHERE id = $2 FOR KEY SHARE)
      INSERT INTO ${S}.links (hash, session_id, site, via, created, expires)
      SELECT $1, s.id, $3, $4, $5, $6 FROM s
      ON CONFLICT (hash) DO UPDATE SET session_id = excluded.session_id, site = excluded.site, via = excluded.via,
        created = excluded.created, expires = excluded.expires`,
    deleteLink: `DELETE FROM ${S}.links WHERE hash = $1`,

    // The unique key decides: of concurrent inserts one wins, the others wait for it and then find the row.
    // An expired nonce is taken over (the WHERE of DO UPDATE), so it can be used again.
    consumeNonce: `INSERT INTO ${S}.nonces (nonce, expires) VALUES ($1, $2)
      ON CONFLICT (nonce) DO UPDATE SET expires = excluded.expires WHERE ${S}.nonces.expires <= $3
      RETURNING 1`,

    // Concurrent upserts of one key queue for its row lock (or its unique-key insert), and each applies
    // its expression to the row the previous one wrote: no addition is lost. An expired counter starts
    // over in the caller's window (SET reads the row as it was).
    addToCounter: `INSERT INTO ${S}.counters AS c (key, value, expires) VALUES ($1, $2, $3)
      ON CONFLICT (key) DO UPDATE SET
        value = greatest(0, CASE WHEN c.expires <= $4 THEN 0 ELSE c.value END + excluded.value),
        expires = CASE WHEN c.expires <= $4 THEN excluded.expires ELSE c.expires END
      RETURNING value, expires`,
    // A delta of 0 or less never starts a counter: it only changes a live one.
    subtractFromCounter: `UPDATE ${S}.counters c SET value = greatest(0, c.value + $2) WHERE c.key = $1 AND c.expires > $3 RETURNING value, expires`,
    deleteCounter: `DELETE FROM ${S}.counters WHERE key = $1`,

    countSessions: `SELECT count(*)::int AS n FROM ${S}.sessions s WHERE s.idle_exp > $1 AND s.abs_exp > $1`,
    countLinks: `SELECT count(*)::int AS n FROM ${S}.links l JOIN ${S}.sessions s ON s.id = l.session_id
      WHERE l.expires > $1 AND s.idle_exp > $1 AND s.abs_exp > $1`,
    countNonces: `SELECT count(*)::int AS n FROM ${S}.nonces WHERE expires > $1`,

    // Bounded purges: at most $2 rows each, skipping rows another process is purging.
    purgeSessions: `DELETE FROM ${S}.sessions WHERE id IN
      (SELECT id FROM ${S}.sessions WHERE least(idle_exp, abs_exp) <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    purgeLinks: `DELETE FROM ${S}.links WHERE hash IN (SELECT hash FROM ${S}.links WHERE expires <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    purgeNonces: `DELETE FROM ${S}.nonces WHERE nonce IN (SELECT nonce FROM ${S}.nonces WHERE expires <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    purgeCounters: `DELETE FROM ${S}.counters WHERE key IN (SELECT key FROM ${S}.counters WHERE expires <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  } as const
}

/**
 * The statements of one schema, by name.
 *
 * @example
 * ```ts
 * const sql: Statements = statements('"shared_session"')
 * ```
 */
export type Statements = ReturnType<typeof statements>

/**
 * A row of `sessions` as `pg` returns it (`bigint` arrives as text).
 *
 * @example
 * ```ts
 * const { rows } = await pool.query<SessionRow>(sql.getSession, [id, now])
 * ```
 */
export interface SessionRow {
  id: string
  user: string | null
  data: Record<string, string>
  created: string
  last_seen: string
  idle_exp: string
  abs_exp: string
}

/**
 * A {@link SessionRow} joined with the link it was reached through.
 *
 * @example
 * ```ts
 * const { rows } = await pool.query<LinkedSessionRow>(sql.resolveLink, [hash, now])
 * ```
 */
export interface LinkedSessionRow extends SessionRow {
  link_site: string
  link_via: string
  link_created: string
  link_expires: string
}

/**
 * A session record from its row, undoing the NUL escaping of ids, keys and values.
 *
 * @example
 * ```ts
 * const record = rowToSession(rows[0])
 * ```
 */
export function rowToSession(row: SessionRow): SessionRecord {
  return {
    id: fromPgText(row.id),
    user: row.user === null ? null : (JSON.parse(fromPgText(row.user)) as SessionUser),
    // fromEntries keeps a `__proto__` key as data rather than setting the prototype.
    data: Object.fromEntries(Object.entries(row.data).map(([key, value]) => [fromPgText(key), fromPgText(value)])),
    createdAt: Number(row.created),
    lastSeenAt: Number(row.last_seen),
    idleExpiresAt: Number(row.idle_exp),
    absoluteExpiresAt: Number(row.abs_exp),
  }
}

/**
 * The link part of a {@link LinkedSessionRow}.
 *
 * @example
 * ```ts
 * const link = rowToLink(rows[0])
 * ```
 */
export function rowToLink(row: LinkedSessionRow): LinkRecord {
  return {
    sessionId: fromPgText(row.id),
    site: fromPgText(row.link_site),
    via: fromPgText(row.link_via) as LinkVia,
    createdAt: Number(row.link_created),
    expiresAt: Number(row.link_expires),
  }
}

/**
 * Session data as the `jsonb` parameter of an insert or patch, NUL-escaped.
 *
 * @example
 * ```ts
 * await pool.query(sql.patchSession, [id, now, unset, dataParam(patch.set)])
 * ```
 */
export function dataParam(data: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(data).map(([key, value]) => [toPgText(key), toPgText(value)])))
}
