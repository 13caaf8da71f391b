import assert from 'node:assert/strict'
import { generateKeysConfig } from '../../src/keys/generate.js'
import { loadKeyRing, type KeyRing } from '../../src/keys/key-ring.js'
import type { KeysConfig, SigningAlgorithm } from '../../src/keys/config.js'
import type { ErrorCode } from '../../src/errors/codes.js'
import { SharedSessionError } from '../../src/errors/shared-session-error.js'

/** A loaded ring and the configuration it came from. */
export interface TestKeys {
  config: KeysConfig
  ring: KeyRing
}

const cache = new Map<SigningAlgorithm, Promise<TestKeys>>()

/**
 * A fresh key configuration and its loaded ring, made once per algorithm and
 * shared by every test in the process (key generation is the slow part).
 * Treat both as read-only; build your own with {@link freshKeys} to mutate.
 */
export function testKeys(alg: SigningAlgorithm = 'EdDSA'): Promise<TestKeys> {
  let keys = cache.get(alg)
  if (!keys) {
    keys = freshKeys(alg)
    cache.set(alg, keys)
  }
  return keys
}

/** The cached loaded {@link KeyRing} for `alg` (EdDSA by default). */
export async function testRing(alg: SigningAlgorithm = 'EdDSA'): Promise<KeyRing> {
  return (await testKeys(alg)).ring
}

/** A new, uncached key configuration and ring: for rotation tests and "another deployment". */
export async function freshKeys(alg: SigningAlgorithm = 'EdDSA'): Promise<TestKeys> {
  const config = await generateKeysConfig({ alg })
  return { config, ring: await loadKeyRing(config) }
}

/**
 * Assert that `fn` throws or rejects with a {@link SharedSessionError} of exactly
 * `code` — never a TypeError, never another code.
 */
export async function rejectsWith(fn: () => unknown, code: ErrorCode, message?: string): Promise<SharedSessionError> {
  let caught: unknown
  try {
    await fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught !== undefined, message ?? `expected ${code}, but nothing was thrown`)
  assert.ok(
    caught instanceof SharedSessionError,
    `${message ?? ''} expected SharedSessionError ${code}, got ${(caught as Error)?.constructor?.name}: ${(caught as Error)?.message}`,
  )
  assert.equal(caught.code, code, `${message ?? ''} (${caught.message})`)
  return caught
}

/** Synchronous variant of {@link rejectsWith}, for `openHandoff` and friends. */
export function throwsWith(fn: () => unknown, code: ErrorCode, message?: string): SharedSessionError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught !== undefined, message ?? `expected ${code}, but nothing was thrown`)
  assert.ok(
    caught instanceof SharedSessionError,
    `${message ?? ''} expected SharedSessionError ${code}, got ${(caught as Error)?.constructor?.name}: ${(caught as Error)?.message}`,
  )
  assert.equal(caught.code, code, `${message ?? ''} (${caught.message})`)
  return caught
}

/** Like {@link rejectsWith}, for attacks where more than one specific code is a correct answer. */
export async function rejectsWithOneOf(fn: () => unknown, codes: readonly ErrorCode[], message?: string): Promise<SharedSessionError> {
  let caught: unknown
  try {
    await fn()
  } catch (err) {
    caught = err
  }
  assert.ok(caught !== undefined, message ?? `expected one of ${codes.join(', ')}, but nothing was thrown`)
  assert.ok(
    caught instanceof SharedSessionError,
    `${message ?? ''} expected SharedSessionError, got ${(caught as Error)?.constructor?.name}: ${(caught as Error)?.message}`,
  )
  assert.ok(codes.includes(caught.code), `${message ?? ''} expected one of ${codes.join(', ')}, got ${caught.code} (${caught.message})`)
  return caught
}
