import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { SharedSessionError } from '../errors/shared-session-error.js'

/** scrypt cost: N = 2^15, r = 8, p = 1 (about 50–100 ms here, on purpose: guessing must be slow). */
const COST = { log2N: 15, r: 8, p: 1 }
const KEY_LENGTH = 32
/** Longer passwords are refused before hashing, so hashing cannot be used to burn CPU. */
export const MAX_PASSWORD_LENGTH = 1024
export const MIN_PASSWORD_LENGTH = 8

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** log2N
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

/**
 * Hash a password with scrypt and a random salt, in a self-describing format
 * (`scrypt$15$8$1$<salt>$<hash>`) so the cost can be raised later without
 * breaking stored hashes.
 *
 * @example
 * ```ts
 * const stored = await hashPassword('wonderland')
 * ```
 */
export async function hashPassword(password: string): Promise<string> {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new SharedSessionError('ERR_CONFIG_INVALID', `a password must have ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`, { detail: 'password' })
  }
  const salt = randomBytes(16)
  const hash = await derive(password, salt, COST.log2N, COST.r, COST.p)
  return ['scrypt', COST.log2N, COST.r, COST.p, salt.toString('base64url'), hash.toString('base64url')].join('$')
}

/** A hash of a random password: checked against when the user does not exist, so timing does not tell. */
let decoy: Promise<string> | undefined

/**
 * True only when `password` matches `stored` (constant-time comparison).
 * With `stored` null (unknown user) it still spends the same time and
 * returns false, so response times do not reveal which usernames exist.
 *
 * @example
 * ```ts
 * if (await verifyPassword(form.password, row?.passwordHash ?? null)) login(row)
 * ```
 */
export async function verifyPassword(password: unknown, stored: string | null): Promise<boolean> {
  decoy ??= hashPassword(randomBytes(16).toString('base64url'))
  const target = stored ?? (await decoy)
  const parts = target.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, log2N, r, p, salt, hash] = parts as [string, string, string, string, string, string]
  const expected = Buffer.from(hash, 'base64url')
  const candidate = typeof password === 'string' && password.length <= MAX_PASSWORD_LENGTH ? password : ''
  const actual = await derive(candidate, Buffer.from(salt, 'base64url'), Number(log2N), Number(r), Number(p))
  return stored !== null && typeof password === 'string' && actual.length === expected.length && timingSafeEqual(actual, expected)
}
