import { createDecipheriv, timingSafeEqual } from 'node:crypto'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { ErrorCode } from '../errors/codes.js'
import type { KeyRing } from '../keys/key-ring.js'
import { decodePayload } from './codec.js'
import type { HandoffPayload } from './payload.js'
import { HANDOFF_VERSION } from './seal.js'

/** Options of {@link openHandoff}: what this destination expects. */
export interface OpenHandoffOptions {
  /** This site's name: the payload's `dst` must equal it. */
  dst: string
  /** Configured site names a payload may come from. */
  sources: ReadonlySet<string>
  /**
   * The binding this request proves (hash of its state cookie) in the pull
   * flow. Leave undefined in the push flow: a bound payload is then refused,
   * so a pull answer cannot be replayed as a push.
   */
  bind?: string | ReadonlySet<string>
  /**
   * Skip the binding check here (default false): {@link redeemHandoff} checks
   * it after spending the `jti`, so an answer refused for its binding is spent too.
   */
  deferBinding?: boolean
  /** Oldest accepted payload age in seconds (*timeout*); 30 by default. */
  timeoutSeconds?: number
  /** Clock skew allowed between sites, in seconds; 5 by default. */
  skewSeconds?: number
  /** Milliseconds since the epoch; `Date.now()` by default. */
  now?: number
}

const HEADER = 5
const IV = 12
const TAG = 16
/** Longer input is refused before decoding (a real payload is ~150 characters). */
const MAX_SEALED_LENGTH = 1024

/**
 * Open a sealed handoff payload and check it for this destination: format
 * version, key, authenticity, `dst`, `src`, freshness both ways, lifetime,
 * and the state binding. Does not consume the `jti`: see
 * {@link redeemHandoff}, which does both.
 *
 * @example
 * ```ts
 * const payload = openHandoff(ring, sealed, { dst: 'shop-de', sources: new Set(['shop', 'hub']) })
 * ```
 */
export function openHandoff(ring: KeyRing, sealed: unknown, options: OpenHandoffOptions): HandoffPayload {
  if (typeof sealed !== 'string' || sealed.length > MAX_SEALED_LENGTH) throw fail('ERR_PAYLOAD_MALFORMED', 'payload must be a short base64url string')
  const bytes = decodeSealed(sealed)
  if (!bytes || bytes.length < HEADER + IV + TAG + 1) throw fail('ERR_PAYLOAD_MALFORMED', 'payload is not base64url of a sealed value')
  if (bytes[0] !== HANDOFF_VERSION) throw fail('ERR_PAYLOAD_VERSION', `payload format ${bytes[0]} is not supported`)
  const header = bytes.subarray(0, HEADER)
  const key = ring.handoff.find((k) => k.id.equals(header.subarray(1)))
  if (!key) throw fail('ERR_PAYLOAD_KEY_UNKNOWN', 'payload was sealed with a key this site does not know')

  let plain: Buffer
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, bytes.subarray(HEADER, HEADER + IV))
    decipher.setAAD(header)
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG))
    plain = Buffer.concat([decipher.update(bytes.subarray(HEADER + IV, bytes.length - TAG)), decipher.final()])
  } catch (cause) {
    throw fail('ERR_PAYLOAD_INVALID', 'payload failed authentication', undefined, cause)
  }
  const payload = decodePayload(plain)
  checkPayload(payload, options)
  return payload
}

function checkPayload(p: HandoffPayload, o: OpenHandoffOptions): void {
  if (p.dst !== o.dst) throw fail('ERR_PAYLOAD_WRONG_DESTINATION', 'payload is for another site', 'dst')
  if (!o.sources.has(p.src) || p.src === o.dst) throw fail('ERR_PAYLOAD_UNKNOWN_SOURCE', 'payload comes from a site that is not configured', 'src')
  const now = Math.floor((o.now ?? Date.now()) / 1000)
  const skew = o.skewSeconds ?? 5
  const timeout = o.timeoutSeconds ?? 30
  if (p.iat > now + skew) throw fail('ERR_PAYLOAD_FROM_FUTURE', 'payload was issued in the future', 'iat')
  if (p.exp <= p.iat || p.exp - p.iat > timeout) throw fail('ERR_PAYLOAD_LIFETIME', `payload lifetime exceeds ${timeout} s`, 'exp')
  if (now > p.exp + skew || now - p.iat > timeout + skew) throw fail('ERR_PAYLOAD_EXPIRED', 'payload has expired', 'exp')
  if (!o.deferBinding) checkBinding(p, o.bind)
}

/**
 * Refuse a payload whose state binding is not the one (or one of those) this
 * request proves; with no binding expected, refuse a bound payload, so a
 * pull answer cannot be replayed as a push.
 *
 * @example
 * ```ts
 * checkBinding(payload, bindingOf(state))
 * ```
 */
export function checkBinding(p: HandoffPayload, expected: string | ReadonlySet<string> | undefined): void {
  const ok = typeof expected === 'object' ? [...expected].some((e) => sameBinding(p.bind, e)) : sameBinding(p.bind, expected)
  if (!ok) throw fail('ERR_PAYLOAD_BINDING', 'payload is not bound to this browser', 'bind')
}

function sameBinding(actual: string | undefined, expected: string | undefined): boolean {
  if (actual === undefined || expected === undefined) return actual === expected
  const a = Buffer.from(actual)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Canonical unpadded base64url decoded once (re-encoding must give the same text), or null. */
function decodeSealed(value: string): Buffer | null {
  if (!BASE64URL.test(value) || value.length % 4 === 1) return null
  const bytes = Buffer.from(value, 'base64url')
  return bytes.toString('base64url') === value ? bytes : null
}

const BASE64URL = /^[A-Za-z0-9_-]*$/

function fail(code: ErrorCode, message: string, detail?: string, cause?: unknown): SharedSessionError {
  return new SharedSessionError(code, message, { detail, cause })
}
