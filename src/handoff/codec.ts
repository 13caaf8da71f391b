import { SharedSessionError } from '../errors/shared-session-error.js'
import type { HandoffPayload } from './payload.js'

// Plaintext layout, version 1 (big-endian), chosen so a push URL stays short:
//   flags u8 (bit 0: ref present, bit 1: bind present) | iat u32 | exp u32 | jti 16
//   | ref 32 (if flag) | bind 32 (if flag) | src len u8 + utf8 | dst len u8 + utf8
// Anything that does not consume exactly all bytes is malformed.
const HAS_REF = 1
const HAS_BIND = 2

/** Encode a payload into the version-1 plaintext; `jtiBytes`, when the caller has them, stand for `p.jti` undecoded. */
export function encodePayload(p: HandoffPayload, jtiBytes?: Buffer): Buffer {
  const ref = p.ref === null ? null : fixed(p.ref, 32, 'ref')
  const bind = p.bind === undefined ? null : fixed(p.bind, 32, 'bind')
  const jti = jtiBytes ?? fixed(p.jti, 16, 'jti')
  if (jti.length !== 16) throw new SharedSessionError('ERR_PAYLOAD_MALFORMED', 'jti must be 16 bytes', { detail: 'jti' })
  const srcLength = Buffer.byteLength(p.src, 'utf8')
  const dstLength = Buffer.byteLength(p.dst, 'utf8')
  // One buffer, written in place: flags, iat, exp, jti, [ref], [bind], src, dst.
  const out = Buffer.allocUnsafe(9 + 16 + (ref ? 32 : 0) + (bind ? 32 : 0) + 2 + srcLength + dstLength)
  out.writeUInt8((ref ? HAS_REF : 0) | (bind ? HAS_BIND : 0), 0)
  out.writeUInt32BE(p.iat, 1)
  out.writeUInt32BE(p.exp, 5)
  let at = 9 + jti.copy(out, 9)
  if (ref) at += ref.copy(out, at)
  if (bind) at += bind.copy(out, at)
  at = out.writeUInt8(srcLength, at)
  at += out.write(p.src, at, 'utf8')
  at = out.writeUInt8(dstLength, at)
  out.write(p.dst, at, 'utf8')
  return out
}

/** Decode the version-1 plaintext, or throw ERR_PAYLOAD_MALFORMED. */
export function decodePayload(bytes: Buffer): HandoffPayload {
  let at = 0
  const take = (n: number): Buffer => {
    if (at + n > bytes.length) throw malformed()
    const out = bytes.subarray(at, at + n)
    at += n
    return out
  }
  const flags = take(1).readUInt8(0)
  if (flags & ~(HAS_REF | HAS_BIND)) throw malformed()
  const iat = take(4).readUInt32BE(0)
  const exp = take(4).readUInt32BE(0)
  const jti = take(16).toString('base64url')
  const ref = flags & HAS_REF ? take(32).toString('base64url') : null
  const bind = flags & HAS_BIND ? take(32).toString('base64url') : undefined
  const src = take(take(1).readUInt8(0)).toString('utf8')
  const dst = take(take(1).readUInt8(0)).toString('utf8')
  if (at !== bytes.length) throw malformed()
  return bind === undefined ? { ref, src, dst, iat, exp, jti } : { ref, src, dst, iat, exp, jti, bind }
}

function fixed(value: string, length: number, field: string): Buffer {
  // Canonical base64url of exactly `length` bytes: decoded once, re-encoded to compare.
  const bytes = value.length === Math.ceil((length * 4) / 3) && BASE64URL.test(value) ? Buffer.from(value, 'base64url') : null
  if (!bytes || bytes.length !== length || bytes.toString('base64url') !== value) {
    throw new SharedSessionError('ERR_PAYLOAD_MALFORMED', `${field} must be base64url of ${length} bytes`, { detail: field })
  }
  return bytes
}

const BASE64URL = /^[A-Za-z0-9_-]*$/

function malformed(): SharedSessionError {
  return new SharedSessionError('ERR_PAYLOAD_MALFORMED', 'payload contents are malformed')
}
