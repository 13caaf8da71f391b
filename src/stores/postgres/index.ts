import pg from 'pg'
import { SharedSessionError } from '../../errors/shared-session-error.js'
import type { SessionRecord, SessionStore, StoreCounts } from '../store.js'
import { guardStore } from '../unavailable.js'
import { migrate } from './schema.js'
import { dataParam, rowToLink, rowToSession, statements, type LinkedSessionRow, type SessionRow } from './statements.js'
import { toPgText } from './text.js'

/**
 * Options of {@link createPostgresStore}.
 *
 * @example
 * ```ts
 * const options: PostgresStoreOptions = { url: 'postgres://app@db.internal/app', schema: 'shared_session' }
 * ```
 */
export interface PostgresStoreOptions {
  /** A libpq-style connection URL (default `postgres://postgres@127.0.0.1:5432/postgres`); user, password, database and `sslmode` come from it. */
  url?: string | undefined
  /**
   * The schema the store's tables live in (default `shared_session`), so
   * several apps or test runs can share one database. Created on first use.
   */
  schema?: string
  /** TLS settings passed to `pg` as is (`true`, or `{ ca, rejectUnauthorized, … }`); overrides `sslmode` in the URL. */
  ssl?: pg.PoolConfig['ssl']
  /** At most this many connections (default 10). */
  maxConnections?: number
  /** A query with no answer in this many ms fails with `ERR_STORE_UNAVAILABLE` (default 2000). */
  commandTimeoutMs?: number
  /** How long a call waits for a connection before failing with `ERR_STORE_UNAVAILABLE` (default 2000). */
  connectTimeoutMs?: number
  /** At most one background purge of expired rows per this many ms (default 60 000; 0 disables it). */
  sweepIntervalMs?: number
  /** Rows of each table one background purge deletes at most (default 1000), so it never holds locks for long. */
  sweepBatch?: number
}

const KIND = 'postgres'
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

function invalid(option: string, message: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIG_INVALID', `postgres store: ${message}`, { detail: option })
}

function wholeNumber(option: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw invalid(option, `\`${option}\` must be a whole number ≥ ${min}`)
  return value
}

/**
 * A session store in PostgreSQL, for teams that run PostgreSQL and no
 * Redis. Needs the optional peer dependency `pg`.
 *
 * - Per-key patches are one `UPDATE … SET data = (data - unset) || set`
 *   (atomic under the row lock, no read-modify-write in the app).
 * - Nonces are single-use by a unique key: of 20 parallel inserts one wins.
 * - Reads check expiry in their WHERE clause; expired rows are purged in
 *   bounded batches in the background (at most once per `sweepIntervalMs`,
 *   started by writes, never awaited by them), or all at once by `sweep`.
 * - The schema is created on first use, under an advisory lock, so two
 *   processes starting together do not trip over each other.
 * - While the server is unreachable every call fails within about
 *   `connectTimeoutMs` (or `commandTimeoutMs` mid-query) with
 *   `ERR_STORE_UNAVAILABLE`; broken connections are dropped and the next
 *   call opens a new one, so the store recovers by itself.
 *
 * @example
 * ```ts
 * import { createPostgresStore } from 'shared-session/stores/postgres'
 * const store = createPostgresStore({ url: process.env.DATABASE_URL, schema: 'shared_session' })
 * const found = await store.resolveLink(linkHash, Date.now())
 * process.on('SIGTERM', () => store.close())
 * ```
 */
export function createPostgresStore(options: PostgresStoreOptions = {}): SessionStore {
  const { url = 'postgres://postgres@127.0.0.1:5432/postgres', schema = 'shared_session' } = options
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) throw invalid('url', '`url` must look like "postgres://user:password@host:5432/database"')
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) throw invalid('schema', '`schema` must be a plain identifier such as "shared_session" (letters, digits, _)')
  const maxConnections = wholeNumber('maxConnections', options.maxConnections ?? 10, 1)
  const commandTimeoutMs = wholeNumber('commandTimeoutMs', options.commandTimeoutMs ?? 2000, 1)
  const connectTimeoutMs = wholeNumber('connectTimeoutMs', options.connectTimeoutMs ?? 2000, 1)
  const sweepIntervalMs = wholeNumber('sweepIntervalMs', options.sweepIntervalMs ?? 60_000, 0)
  const sweepBatch = wholeNumber('sweepBatch', options.sweepBatch ?? 1000, 1)

  const pool = new pg.Pool({
    connectionString: url,
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
    max: maxConnections,
    connectionTimeoutMillis: connectTimeoutMs,
    query_timeout: commandTimeoutMs,
    statement_timeout: commandTimeoutMs,
    // Names the store's connections in pg_stat_activity, so an operator sees whose they are.
    application_name: `shared-session:${schema}`,
  })
  // An idle connection the server drops (restart, pg_terminate_backend) is reported here; the pool
  // has already discarded it. Without a listener the process would crash.
  pool.on('error', () => {})

  const quoted = `"${schema}"`
  const sql = statements(quoted)
  let migrated: Promise<void> | undefined
  let closed = false
  // The first background purge comes one interval after start, not on the very first write.
  let lastSweepAt = Date.now()

  function ready(): Promise<void> {
    if (closed) return Promise.reject(new Error('the store was closed'))
    migrated ??= migrate(pool, quoted).catch((err: unknown) => {
      migrated = undefined // try again on the next call, e.g. once the server is back
      throw err
    })
    return migrated
  }

  async function query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    await ready()
    return pool.query<R>(text, values)
  }

  const guard = <T>(operation: string, run: () => Promise<T>): Promise<T> => guardStore(KIND, operation, run)
  const liveAt = (row: { idle_exp: string; abs_exp: string }, now: number): boolean => Number(row.idle_exp) > now && Number(row.abs_exp) > now

  async function purge(now: number, limit: number): Promise<number> {
    let deleted = 0
    for (const statement of [sql.purgeSessions, sql.purgeLinks, sql.purgeNonces, sql.purgeCounters]) deleted += (await query(statement, [now, limit])).rowCount ?? 0
    return deleted
  }

  // Housekeeping must never slow down or fail the write that started it.
  function maybeSweep(): void {
    const now = Date.now()
    if (sweepIntervalMs === 0 || now - lastSweepAt < sweepIntervalMs) return
    lastSweepAt = now
    purge(now, sweepBatch).catch(() => {
      /* next interval */
    })
  }

  return {
    kind: KIND,

    insertSession: (record) =>
      guard('insertSession', async () => {
        await query(sql.insertSession, [
          toPgText(record.id),
          record.user === null ? null : toPgText(record.user.sub),
          record.user === null ? null : toPgText(JSON.stringify(record.user)),
          dataParam(record.data),
          record.createdAt,
          record.lastSeenAt,
          record.idleExpiresAt,
          record.absoluteExpiresAt,
        ])
        maybeSweep()
      }),

    getSession: (id, now) =>
      guard('getSession', async () => {
        const { rows } = await query<SessionRow>(sql.getSession, [toPgText(id), now])
        return rows[0] === undefined ? null : rowToSession(rows[0])
      }),

    deleteSession: (id) =>
      guard('deleteSession', async () => {
        const { rows } = await query<{ idle_exp: string; abs_exp: string }>(sql.deleteSession, [toPgText(id)])
        return rows.some((row) => liveAt(row, Date.now()))
      }),

    patchSession: (id, patch) =>
      guard('patchSession', async () => {
        const { rowCount } = await query(sql.patchSession, [toPgText(id), Date.now(), patch.unset.map(toPgText), dataParam(patch.set)])
        return rowCount === 1
      }),

    touchSession: (id, lastSeenAt, idleExpiresAt) =>
      guard('touchSession', async () => (await query(sql.touchSession, [toPgText(id), Date.now(), lastSeenAt, idleExpiresAt])).rowCount === 1),

    insertLink: (hash, link) =>
      guard('insertLink', async () => {
        await query(sql.insertLink, [toPgText(hash), toPgText(link.sessionId), toPgText(link.site), toPgText(link.via), link.createdAt, link.expiresAt])
      }),

    resolveLink: (hash, now) =>
      guard('resolveLink', async () => {
        const { rows } = await query<LinkedSessionRow>(sql.resolveLink, [toPgText(hash), now])
        const row = rows[0]
        return row === undefined ? null : { link: rowToLink(row), session: rowToSession(row) }
      }),

    deleteLink: (hash) => guard('deleteLink', async () => (await query(sql.deleteLink, [toPgText(hash)])).rowCount === 1),

    listUserSessions: (sub, now) =>
      guard('listUserSessions', async () => {
        const { rows } = await query<SessionRow>(sql.listUserSessions, [toPgText(sub), now])
        // Sorted here, not in SQL, so ties order by id exactly as the other stores order them.
        return rows.map(rowToSession).sort((a: SessionRecord, b: SessionRecord) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      }),

    deleteUserSessions: (sub) =>
      guard('deleteUserSessions', async () => {
        const { rows } = await query<{ idle_exp: string; abs_exp: string }>(sql.deleteUserSessions, [toPgText(sub)])
        const now = Date.now()
        return rows.filter((row) => liveAt(row, now)).length
      }),

    consumeNonce: (nonce, expiresAt) =>
      guard('consumeNonce', async () => {
        const { rowCount } = await query(sql.consumeNonce, [toPgText(nonce), expiresAt, Date.now()])
        maybeSweep()
        return rowCount === 1
      }),

    addToCounter: (key, delta, expiresAt, now) =>
      guard('addToCounter', async () => {
        const { rows } =
          delta > 0
            ? await query<{ value: string; expires: string }>(sql.addToCounter, [toPgText(key), delta, expiresAt, now])
            : await query<{ value: string; expires: string }>(sql.subtractFromCounter, [toPgText(key), delta, now])
        if (delta > 0) maybeSweep()
        const row = rows[0]
        return row === undefined ? { value: 0, expiresAt } : { value: Number(row.value), expiresAt: Number(row.expires) }
      }),

    deleteCounter: (key) =>
      guard('deleteCounter', async () => {
        await query(sql.deleteCounter, [toPgText(key)])
      }),

    count: (now) =>
      guard('count', async (): Promise<StoreCounts> => {
        const [sessions, links, nonces] = await Promise.all(
          [sql.countSessions, sql.countLinks, sql.countNonces].map(async (statement) => (await query<{ n: number }>(statement, [now])).rows[0]!.n),
        )
        return { sessions: sessions!, links: links!, nonces: nonces! }
      }),

    sweep: (now) =>
      guard('sweep', async () => {
        // Batch by batch until a round finds nothing, so no single statement holds locks for long.
        while ((await purge(now, sweepBatch)) > 0) {
          /* next batch */
        }
      }),

    close: async () => {
      if (closed) return
      closed = true
      await pool.end()
    },
  }
}
