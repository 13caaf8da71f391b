// Shared inputs for the handoff tests: a fixed clock, realistic site names,
// and helpers to edit a sealed payload at the byte level.
import { createCipheriv, randomBytes } from 'node:crypto'
import type { KeyRing } from '../../src/keys/key-ring.js'
import type { OpenHandoffOptions } from '../../src/handoff/open.js'
import { sealHandoff, HANDOFF_VERSION, type SealHandoffOptions } from '../../src/handoff/seal.js'

/** A fixed clock (ms, whole seconds): 2027-01-15T12:00:00Z. */
export const NOW = Date.UTC(2027, 0, 15, 12, 0, 0)
export const SRC = 'shop'
export const DST = 'shop-de'
export const SOURCES: ReadonlySet<string> = new Set(['shop', 'hub', 'forum.acme'])

/** A fresh global session reference: 32 random bytes, base64url. */
export function newRef(): string {
  return randomBytes(32).toString('base64url')
}

/** Seal a push payload from shop to shop-de at {@link NOW}. */
export function sealPush(ring: KeyRing, options: Partial<SealHandoffOptions> = {}): string {
  return sealHandoff(ring, { ref: newRef(), src: SRC, dst: DST, now: NOW, ...options })
}

/** Open options for shop-de at {@link NOW}. */
export function at(overrides: Partial<OpenHandoffOptions> = {}): OpenHandoffOptions {
  return { dst: DST, sources: SOURCES, now: NOW, ...overrides }
}

export function bytesOf(sealed: string): Buffer {
  return Buffer.from(sealed, 'base64url')
}

/** Set one byte of the decoded payload and re-encode canonically. */
export function withByte(sealed: string, index: number, value: number): string {
  const bytes = bytesOf(sealed)
  bytes[index] = value
  return bytes.toString('base64url')
}

/**
 * Seal arbitrary plaintext with the ring's current handoff key, exactly as
 * sealHandoff frames it: what a buggy or malicious key holder could produce.
 */
export function sealRaw(ring: KeyRing, plain: Buffer, version = HANDOFF_VERSION): string {
  const { id, key } = ring.handoff[0]!
  const header = Buffer.concat([Buffer.from([version]), id])
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(header)
  const body = Buffer.concat([cipher.update(plain), cipher.final()])
  return Buffer.concat([header, iv, body, cipher.getAuthTag()]).toString('base64url')
}
