import { createCipheriv, randomFillSync } from 'node:crypto'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { KeyRing } from '../keys/key-ring.js'
import { encodePayload } from './codec.js'
import { SITE_NAME, type HandoffPayload } from './payload.js'

/** First byte of every sealed payload; a later format takes another value and both can coexist. */
export const HANDOFF_VERSION = 1

/** Options of {@link sealHandoff}. */
export interface SealHandoffOptions {
  /** Global session reference, or null for a bound "no session" answer. */
  ref: string | null
  src: string
  dst: string
  /** base64url SHA-256 of the destination's state cookie (pull flow). */
  bind?: string
  /** Lifetime in seconds (django-shared-session's *timeout*); 30 by default. */
  ttlSeconds?: number
  /** Milliseconds since the epoch; `Date.now()` by default. */
  now?: number
}

/**
 * Seal a handoff payload with AES-256-GCM under the ring's current HKDF
 * handoff key. The result is compact, URL-safe base64url:
 * `version (1) | key id (4) | iv (12) | ciphertext | tag (16)`, with the
 * first five bytes authenticated as associated data.
 *
 * @example
 * ```ts
 * const sealed = sealHandoff(ring, { ref: session.id, src: 'shop', dst: 'shop-de' })
 * const src = `https://shop.de/_session/push/${sealed}.js`
 * ```
 */
export function sealHandoff(ring: KeyRing, options: SealHandoffOptions): string {
  const ttl = options.ttlSeconds ?? 30
  if (!Number.isSafeInteger(ttl) || ttl <= 0 || ttl > 3600) {
    throw new SharedSessionError('ERR_CONFIG_INVALID', `handoff ttlSeconds must be 1 to 3600, got ${ttl}`, { detail: 'ttlSeconds' })
  }
  for (const field of ['src', 'dst'] as const) {
    if (!SITE_NAME.test(options[field])) {
      throw new SharedSessionError('ERR_CONFIG_INVALID', `${field} site name ${JSON.stringify(options[field])} must match ${SITE_NAME}`, { detail: field })
    }
  }
  // One draw for the jti and the IV: 28 fresh bytes from a pool filled by the CSPRNG, never reused.
  const random = randomSlice(28)
  const iat = Math.floor((options.now ?? Date.now()) / 1000)
  // The format stores u32 seconds: refuse a clock it cannot encode instead of throwing a RangeError or sealing NaN as 0.
  if (!Number.isSafeInteger(iat) || iat < 0 || iat + ttl > 0xffff_ffff) throw new SharedSessionError('ERR_CONFIG_INVALID', `now must be a time from 1970 to 2106, got ${options.now}`, { detail: 'now' })
  const payload: HandoffPayload = {
    ref: options.ref,
    src: options.src,
    dst: options.dst,
    iat,
    exp: iat + ttl,
    jti: random.subarray(0, 16).toString('base64url'),
    ...(options.bind === undefined ? {} : { bind: options.bind }),
  }
  const { id, key } = ring.handoff[0]!
  let header = HEADERS.get(id)
  if (header === undefined) HEADERS.set(id, (header = Buffer.concat([Buffer.from([HANDOFF_VERSION]), id])))
  const iv = random.subarray(16, 28)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(header)
  const body = Buffer.concat([cipher.update(encodePayload(payload, random.subarray(0, 16))), cipher.final()])
  return Buffer.concat([header, iv, body, cipher.getAuthTag()]).toString('base64url')
}

/** The sealed header (version and key id) per handoff key id, built once. */
const HEADERS = new WeakMap<Buffer, Buffer>()

/** Random bytes drawn 4 KiB at a time: one CSPRNG call per ~146 seals instead of two per seal. */
const POOL = Buffer.alloc(4096)
let used = POOL.length

/** `n` random bytes, valid until the next call (each byte is handed out once). */
function randomSlice(n: number): Buffer {
  if (used + n > POOL.length) {
    randomFillSync(POOL)
    used = 0
  }
  const out = POOL.subarray(used, used + n)
  used += n
  return out
}
