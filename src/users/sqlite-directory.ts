import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { SessionUser } from '../stores/store.js'
import { USERNAME, type UserDirectory, type UserRecord } from './directory.js'
import { hashPassword, verifyPassword } from './password.js'

/** The built-in user directory: authenticate plus the management the CLI needs. */
export interface SqliteUserDirectory extends UserDirectory {
  add(input: { username: string; password: string; email?: string; name?: string }): Promise<UserRecord>
  get(username: string): UserRecord | null
  list(): UserRecord[]
  remove(username: string): boolean
  setPassword(username: string, password: string): Promise<boolean>
  close(): void
}

interface Row {
  sub: string
  username: string
  email: string | null
  name: string | null
  password_hash: string
  created_at: number
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/

/**
 * Users in a SQLite file (username unique, e-mail, display name, scrypt
 * password hash, created). The hub's default directory.
 *
 * @example
 * ```ts
 * const users = createSqliteUserDirectory({ path: '.shared-session/users.sqlite' })
 * await users.add({ username: 'alice', password: 'wonderland', email: 'alice@example.com' })
 * await users.authenticate('alice', 'wonderland') // { sub: 'u_…', username: 'alice', … }
 * ```
 */
export function createSqliteUserDirectory(options: { path: string }): SqliteUserDirectory {
  const db = new Database(options.path)
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 2000')
  db.exec(`CREATE TABLE IF NOT EXISTS users (
    sub TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    email TEXT,
    name TEXT,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
  )`)
  const byName = db.prepare<[string], Row>('SELECT * FROM users WHERE username = ?')
  const toUser = (row: Row): UserRecord => ({
    sub: row.sub,
    username: row.username,
    ...(row.email ? { email: row.email } : {}),
    ...(row.name ? { name: row.name } : {}),
    createdAt: row.created_at,
  })

  return {
    async authenticate(username, password) {
      const row = typeof username === 'string' ? byName.get(username.trim().toLowerCase()) : undefined
      if (!(await verifyPassword(password, row?.password_hash ?? null)) || !row) return null
      const { createdAt: _, ...user } = toUser(row)
      return user satisfies SessionUser
    },
    async add({ username, password, email, name }) {
      const normalized = String(username).trim().toLowerCase()
      if (!USERNAME.test(normalized)) {
        throw new SharedSessionError('ERR_CONFIG_INVALID', 'a username must be 1–64 of a-z, 0-9, ".", "_", "-", starting with a letter or digit', { detail: 'username' })
      }
      if (email !== undefined && !EMAIL.test(email)) throw new SharedSessionError('ERR_CONFIG_INVALID', `"${email}" is not an e-mail address`, { detail: 'email' })
      if (byName.get(normalized)) throw new SharedSessionError('ERR_CONFIG_INVALID', `user "${normalized}" already exists`, { detail: 'username' })
      const row: Row = {
        sub: `u_${randomBytes(12).toString('base64url')}`,
        username: normalized,
        email: email ?? null,
        name: name ?? null,
        password_hash: await hashPassword(password),
        created_at: Date.now(),
      }
      db.prepare('INSERT INTO users VALUES (@sub, @username, @email, @name, @password_hash, @created_at)').run(row)
      return toUser(row)
    },
    get(username) {
      const row = byName.get(String(username).trim().toLowerCase())
      return row ? toUser(row) : null
    },
    list() {
      return db.prepare<[], Row>('SELECT * FROM users ORDER BY username').all().map(toUser)
    },
    remove(username) {
      return db.prepare('DELETE FROM users WHERE username = ?').run(String(username).trim().toLowerCase()).changes > 0
    },
    async setPassword(username, password) {
      const hash = await hashPassword(password)
      return db.prepare('UPDATE users SET password_hash = ? WHERE username = ?').run(hash, String(username).trim().toLowerCase()).changes > 0
    },
    close() {
      db.close()
    },
  }
}
