import { hkdfSync } from 'node:crypto'

/**
 * The purposes a master secret is stretched into. Each gets its own key, so
 * a key for one purpose is never usable for another.
 */
export type KeyPurpose = 'handoff v1' | 'handoff key id' | 'state v1' | 'csrf v1'

/**
 * Derive a 32-byte purpose key from a master secret with HKDF-SHA256.
 *
 * @example
 * ```ts
 * const handoffKey = deriveKey(masterSecret, 'handoff v1')
 * ```
 */
export function deriveKey(masterSecret: Buffer, purpose: KeyPurpose, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', masterSecret, 'shared-session', purpose, length))
}
