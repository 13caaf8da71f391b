import type { SessionUser } from '../stores/store.js'

/**
 * Where the hub checks credentials. Bring your own by implementing
 * `authenticate`; the hub awaits it and accepts only a user object with a
 * `sub`, so a forgotten `await` in your code cannot log anyone in.
 *
 * @example
 * ```ts
 * const users: UserDirectory = {
 *   async authenticate(username, password) {
 *     const row = await db.users.find(username)
 *     return row && (await verify(password, row.hash)) ? { sub: row.id, username: row.name, email: row.email } : null
 *   },
 * }
 * ```
 */
export interface UserDirectory {
  authenticate(username: string, password: string): Promise<SessionUser | null>
}

/**
 * A user as the built-in directory lists it (never the password hash).
 *
 * @example
 * ```ts
 * const user: UserRecord = { sub: 'u_…', username: 'alice', email: 'alice@example.com', name: 'Alice', createdAt: Date.now() }
 * ```
 */
export interface UserRecord extends SessionUser {
  createdAt: number
}

/** Usernames: short, lower-case, URL- and header-safe. */
export const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/
