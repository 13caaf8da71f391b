import { SharedSessionError } from '../errors/shared-session-error.js'

/**
 * What an operator most likely has to do about a driver error, keyed by the
 * driver's error code. The message is what lands in the 503 log line, so it
 * should point at the fix, not just restate the symptom.
 */
const HINTS: Record<string, string> = {
  ECONNREFUSED: 'is the server running?',
  ECONNRESET: 'the server closed the connection',
  ETIMEDOUT: 'is the host reachable?',
  ENOTFOUND: 'check the host name in the store URL',
  EHOSTUNREACH: 'is the host reachable?',
  SQLITE_BUSY: 'another connection holds the write lock; raise busyTimeoutMs if this is routine',
  SQLITE_LOCKED: 'another connection holds the write lock',
  SQLITE_READONLY: 'the database file or its directory is read-only',
  SQLITE_CANTOPEN: 'check that the path exists and is writable',
  SQLITE_FULL: 'the disk is full',
  SQLITE_IOERR: 'the disk reported an I/O error',
  SQLITE_CORRUPT: 'the database file is damaged',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EACCES: 'check the file permissions',
  EEXIST: 'a part of the path is a file, not a directory',
  // PostgreSQL SQLSTATEs.
  '57P01': 'the server ended the connection (restart or administrator); the next call reconnects',
  '57P02': 'the server ended the connection (restart or administrator); the next call reconnects',
  '57P03': 'the server is starting up or shutting down',
  '57014': 'the server did not answer in time',
  '3D000': 'the database in the store URL does not exist',
  '28P01': 'check the user and password in the store URL',
  '28000': 'check the user in the store URL and the server\'s pg_hba.conf',
  '42501': 'the database user lacks privileges on the store\'s schema',
  '53300': 'the server has no free connection slots; lower maxConnections or raise max_connections',
}

function codeOf(cause: unknown): string | undefined {
  if (typeof cause !== 'object' || cause === null) return undefined
  const code = (cause as { code?: unknown }).code
  if (typeof code !== 'string') return undefined
  // better-sqlite3 reports extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_WRITE…); the family is enough for a hint.
  const family = /^SQLITE_[A-Z]+/.exec(code)
  return family ? family[0] : code
}

function hintFor(cause: unknown, reason: string): string | undefined {
  const code = codeOf(cause)
  if (code !== undefined && HINTS[code] !== undefined) return HINTS[code]
  // ioredis reports its own timeouts and offline state by message only.
  if (/timed out|timeout exceeded|Query read timeout/i.test(reason)) return 'the server did not answer in time'
  // pg reports a connection the server dropped mid-query by message only.
  if (/Connection terminated/i.test(reason)) return 'the server closed the connection; the next call reconnects'
  if (/enableOfflineQueue|Connection is closed|Stream isn't writeable/i.test(reason)) return 'not connected; reconnecting in the background'
  return undefined
}

/**
 * The one error a store raises when its backend is down, locked, read-only
 * or otherwise unusable: `ERR_STORE_UNAVAILABLE` (HTTP 503), with the driver
 * error kept as `cause` and a message that says what to check.
 *
 * An error that already is a {@link SharedSessionError} is returned as is, so
 * wrapping twice never buries the first, more precise, message.
 *
 * @param kind - the store kind (`sqlite`, `redis`), for the message
 * @param operation - the store method that failed, e.g. `resolveLink`
 * @param cause - whatever the driver threw
 *
 * @example
 * ```ts
 * try {
 *   return await client.get(key)
 * } catch (err) {
 *   throw storeUnavailable('redis', 'resolveLink', err)
 *   // → "redis store unavailable during resolveLink: connect ECONNREFUSED 127.0.0.1:6379 — is the server running?"
 * }
 * ```
 */
export function storeUnavailable(kind: string, operation: string, cause: unknown): SharedSessionError {
  if (cause instanceof SharedSessionError) return cause
  const reason = cause instanceof Error ? cause.message : String(cause)
  const hint = hintFor(cause, reason)
  const message = `${kind} store unavailable during ${operation}: ${reason}${hint === undefined ? '' : ` — ${hint}`}`
  return new SharedSessionError('ERR_STORE_UNAVAILABLE', message, { cause, detail: kind })
}

/**
 * Runs one store operation and turns anything it throws into
 * {@link storeUnavailable}, so every method of a store fails the same way.
 * Works for synchronous drivers (better-sqlite3) and asynchronous ones (ioredis).
 *
 * @example
 * ```ts
 * const getSession = (id: string, now: number) =>
 *   guardStore('sqlite', 'getSession', () => readSession(db, id, now))
 * ```
 */
export function guardStore<T>(kind: string, operation: string, run: () => T | Promise<T>): Promise<T> {
  // Not an async function: one promise per call instead of two, on every store call of every request.
  const fail = (err: unknown): never => {
    throw storeUnavailable(kind, operation, err)
  }
  try {
    return Promise.resolve(run()).then(undefined, fail)
  } catch (err) {
    return Promise.reject(storeUnavailable(kind, operation, err))
  }
}
