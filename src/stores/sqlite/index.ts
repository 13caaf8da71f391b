import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { SharedSessionError } from '../../errors/shared-session-error.js'
import type { SessionStore, StoreCounts } from '../store.js'
import { guardStore, storeUnavailable } from '../unavailable.js'
import { migrate } from './schema.js'
import { prepareStatements, rowsToSessions, rowToLink, type LinkedSessionRow, type SessionRow } from './statements.js'

/**
 * Options of {@link createSqliteStore}.
 *
 * @example
 * ```ts
 * const options: SqliteStoreOptions = { path: '.shared-session/sessions.sqlite', busyTimeoutMs: 2000 }
 * ```
 */
export interface SqliteStoreOptions {
  /** The database file. Its directory is created when missing. */
  path: string
  /**
   * How long a write waits for another connection's write lock before the
   * call fails with `ERR_STORE_UNAVAILABLE` (default 2000). better-sqlite3
   * is synchronous, so this wait blocks the event loop: keep it short.
   */
  busyTimeoutMs?: number
  /** Open the file read-only (e.g. a replica for a verifier): every write fails with `ERR_STORE_UNAVAILABLE`. */
  readonly?: boolean
  /** At most one opportunistic sweep per this many ms (default 60 000). */
  sweepIntervalMs?: number
}

const KIND = 'sqlite'

function invalid(option: string, message: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIG_INVALID', `sqlite store: ${message}`, { detail: option })
}

function validate(options: SqliteStoreOptions): Required<SqliteStoreOptions> {
  const { path, busyTimeoutMs = 2000, readonly = false, sweepIntervalMs = 60_000 } = options ?? ({} as SqliteStoreOptions)
  if (typeof path !== 'string' || path.trim() === '') throw invalid('path', 'set `path` to the database file, e.g. ".shared-session/sessions.sqlite"')
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw invalid('busyTimeoutMs', '`busyTimeoutMs` must be a whole number of milliseconds ≥ 0')
  if (!Number.isSafeInteger(sweepIntervalMs) || sweepIntervalMs < 0) throw invalid('sweepIntervalMs', '`sweepIntervalMs` must be a whole number of milliseconds ≥ 0')
  return { path, busyTimeoutMs, readonly: readonly === true, sweepIntervalMs }
}

function open({ path, busyTimeoutMs, readonly }: Required<SqliteStoreOptions>): Database.Database {
  const inMemory = path === ':memory:' || path.startsWith('file::memory:')
  if (!readonly && !inMemory) mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs })
  try {
    // WAL lets readers run while one process writes; NORMAL is durable across app crashes and only risks the last commits on power loss.
    if (!readonly) db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    migrate(db, readonly)
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

/**
 * A session store in one SQLite file: the embedded default, no server to
 * run. Several processes on one machine may share the file (WAL mode, a
 * busy timeout, and one IMMEDIATE transaction per patch keep concurrent
 * writers from losing each other's keys). Not for network file systems.
 *
 * Opening fails at once (`ERR_STORE_UNAVAILABLE` when the file cannot be
 * opened, `ERR_CONFIG_INVALID` for bad options), so a wrong path shows up at
 * start-up rather than on the first request. Expired rows are filtered on
 * every read and deleted by `sweep`, which also runs by itself at most once
 * per `sweepIntervalMs` when sessions, nonces or counters are written.
 *
 * Needs the optional peer dependency `better-sqlite3`.
 *
 * @example
 * ```ts
 * import { createSqliteStore } from 'shared-session/stores/sqlite'
 * const store = createSqliteStore({ path: '.shared-session/sessions.sqlite' })
 * await store.insertSession(record)
 * process.on('SIGTERM', () => store.close())
 * ```
 */
export function createSqliteStore(options: SqliteStoreOptions): SessionStore {
  const settings = validate(options)
  let db: Database.Database
  try {
    db = open(settings)
  } catch (err) {
    throw storeUnavailable(KIND, 'open', err)
  }
  const sql = prepareStatements(db)
  let lastSweepAt = Number.NEGATIVE_INFINITY

  const guard = <T>(operation: string, run: () => T): Promise<T> => guardStore(KIND, operation, run)
  const isLive = (row: { idle_exp: number; abs_exp: number }, now: number): boolean => row.idle_exp > now && row.abs_exp > now

  const sweepNow = db.transaction((now: number) => {
    lastSweepAt = now
    sql.sweepSessions.run({ now })
    sql.sweepLinks.run({ now })
    sql.sweepNonces.run({ now })
    sql.sweepCounters.run({ now })
  })

  // Housekeeping must never fail the write that triggered it; a locked file is retried next interval.
  function maybeSweep(): void {
    const now = Date.now()
    if (settings.readonly || now - lastSweepAt < settings.sweepIntervalMs) return
    lastSweepAt = now
    try {
      sweepNow.immediate(now)
    } catch {
      /* next interval */
    }
  }

  const insertSession = db.transaction((record: Parameters<SessionStore['insertSession']>[0]) => {
    sql.deleteSession.all({ id: record.id })
    sql.insertSession.run({
      id: record.id,
      user: record.user === null ? null : JSON.stringify(record.user),
      sub: record.user === null ? null : record.user.sub,
      created: record.createdAt,
      lastSeen: record.lastSeenAt,
      idleExp: record.idleExpiresAt,
      absExp: record.absoluteExpiresAt,
    })
    for (const [key, value] of Object.entries(record.data)) sql.upsertData.run({ id: record.id, key, value })
  })

  const patchSession = db.transaction((id: string, patch: Parameters<SessionStore['patchSession']>[1]): boolean => {
    if (sql.sessionIsLive.get({ id, now: Date.now() }) === undefined) return false
    for (const key of patch.unset) sql.deleteData.run({ id, key })
    for (const [key, value] of Object.entries(patch.set)) sql.upsertData.run({ id, key, value })
    return true
  })

  return {
    kind: KIND,

    insertSession: (record) =>
      guard('insertSession', () => {
        insertSession.immediate(record)
        maybeSweep()
      }),

    getSession: (id, now) => guard('getSession', () => rowsToSessions(sql.selectSession.all({ id, now }) as SessionRow[])[0] ?? null),

    deleteSession: (id) =>
      guard('deleteSession', () => {
        const deleted = sql.deleteSession.all({ id }) as { idle_exp: number; abs_exp: number }[]
        return deleted.some((row) => isLive(row, Date.now()))
      }),

    // IMMEDIATE takes the write lock up front, so the existence check and the writes see the same session.
    patchSession: (id, patch) => guard('patchSession', () => patchSession.immediate(id, patch)),

    touchSession: (id, lastSeenAt, idleExpiresAt) =>
      guard('touchSession', () => sql.touchSession.run({ id, lastSeen: lastSeenAt, idleExp: idleExpiresAt, now: Date.now() }).changes > 0),

    insertLink: (hash, link) =>
      guard('insertLink', () => {
        sql.insertLink.run({ hash, sessionId: link.sessionId, site: link.site, via: link.via, created: link.createdAt, expires: link.expiresAt })
      }),

    resolveLink: (hash, now) =>
      guard('resolveLink', () => {
        const rows = sql.selectLinkedSession.all({ hash, now }) as LinkedSessionRow[]
        const [session] = rowsToSessions(rows)
        return session === undefined || rows[0] === undefined ? null : { link: rowToLink(rows[0]), session }
      }),

    deleteLink: (hash) => guard('deleteLink', () => sql.deleteLink.run({ hash }).changes > 0),

    listUserSessions: (sub, now) => guard('listUserSessions', () => rowsToSessions(sql.selectUserSessions.all({ sub, now }) as SessionRow[])),

    deleteUserSessions: (sub) =>
      guard('deleteUserSessions', () => {
        const now = Date.now()
        return (sql.deleteUserSessions.all({ sub }) as { idle_exp: number; abs_exp: number }[]).filter((row) => isLive(row, now)).length
      }),

    consumeNonce: (nonce, expiresAt) =>
      guard('consumeNonce', () => {
        const consumed = sql.consumeNonce.run({ nonce, expires: expiresAt, now: Date.now() }).changes === 1
        maybeSweep()
        return consumed
      }),

    addToCounter: (key, delta, expiresAt, now) =>
      guard('addToCounter', () => {
        const statement = delta > 0 ? sql.addToCounter : sql.subtractFromCounter
        const row = statement.get({ key, delta, expires: expiresAt, now }) as { value: number; expires: number } | undefined
        if (delta > 0) maybeSweep()
        return row === undefined ? { value: 0, expiresAt } : { value: row.value, expiresAt: row.expires }
      }),

    deleteCounter: (key) =>
      guard('deleteCounter', () => {
        sql.deleteCounter.run({ key })
      }),

    count: (now) =>
      guard(
        'count',
        (): StoreCounts => ({
          sessions: sql.countSessions.pluck().get({ now }) as number,
          links: sql.countLinks.pluck().get({ now }) as number,
          nonces: sql.countNonces.pluck().get({ now }) as number,
        }),
      ),

    sweep: (now) => guard('sweep', () => sweepNow.immediate(now)),

    close: () =>
      guard('close', () => {
        if (db.open) db.close()
      }),
  }
}
