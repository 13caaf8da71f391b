import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { openHandoff } from '../../src/handoff/open.js'
import { sealHandoff } from '../../src/handoff/seal.js'
import type { ErrorCode } from '../../src/errors/codes.js'
import { freshKeys, testRing, throwsWith } from '../helpers/keys.js'
import { DST, NOW, SRC, at, bytesOf, newRef, sealPush, sealRaw, withByte } from './fixtures.js'

/** What a change at each byte offset is reported as: version, key id, then authentication. */
function codeForOffset(index: number): ErrorCode {
  if (index === 0) return 'ERR_PAYLOAD_VERSION'
  if (index <= 4) return 'ERR_PAYLOAD_KEY_UNKNOWN'
  return 'ERR_PAYLOAD_INVALID'
}

describe('tampered payloads', () => {
  test('every single-byte change at every position is rejected (8 bit flips and 2 overwrites per byte)', async () => {
    const ring = await testRing()
    for (const bind of [undefined, newRef()]) {
      const sealed = sealPush(ring, { bind })
      const bytes = bytesOf(sealed)
      for (let i = 0; i < bytes.length; i++) {
        const values = new Set([0x00, 0xff, ...[0, 1, 2, 3, 4, 5, 6, 7].map((b) => bytes[i]! ^ (1 << b))])
        values.delete(bytes[i]!)
        for (const value of values) {
          throwsWith(() => openHandoff(ring, withByte(sealed, i, value), at({ bind })), codeForOffset(i), `byte ${i} → ${value}`)
        }
      }
    }
  })

  test('truncated by any number of bytes', async () => {
    const ring = await testRing()
    const bytes = bytesOf(sealPush(ring))
    for (let keep = 0; keep < bytes.length; keep++) {
      const cut = bytes.subarray(0, keep).toString('base64url')
      // Shorter than version + key id + iv + tag + 1 byte cannot be a sealed value at all.
      throwsWith(() => openHandoff(ring, cut, at()), keep < 34 ? 'ERR_PAYLOAD_MALFORMED' : 'ERR_PAYLOAD_INVALID', `${keep} bytes`)
    }
  })

  test('extended by bytes at the end or in the middle', async () => {
    const ring = await testRing()
    const bytes = bytesOf(sealPush(ring))
    for (const extra of [Buffer.from([0]), Buffer.from('AAAA'), bytes.subarray(-16)]) {
      throwsWith(() => openHandoff(ring, Buffer.concat([bytes, extra]).toString('base64url'), at()), 'ERR_PAYLOAD_INVALID')
      const middle = Buffer.concat([bytes.subarray(0, 40), extra, bytes.subarray(40)])
      throwsWith(() => openHandoff(ring, middle.toString('base64url'), at()), 'ERR_PAYLOAD_INVALID')
    }
  })

  test('spliced: the tag of another payload, or its ciphertext', async () => {
    const ring = await testRing()
    const a = bytesOf(sealPush(ring))
    const b = bytesOf(sealPush(ring))
    assert.equal(a.length, b.length)
    const tagSwap = Buffer.concat([a.subarray(0, -16), b.subarray(-16)])
    throwsWith(() => openHandoff(ring, tagSwap.toString('base64url'), at()), 'ERR_PAYLOAD_INVALID')
    const ivSwap = Buffer.concat([a.subarray(0, 5), b.subarray(5, 17), a.subarray(17)])
    throwsWith(() => openHandoff(ring, ivSwap.toString('base64url'), at()), 'ERR_PAYLOAD_INVALID')
  })

  test('re-encoded: padding, standard base64, whitespace, non-canonical last character', async () => {
    const ring = await testRing()
    let sealed = sealPush(ring)
    // Make sure the standard-alphabet case actually changes something.
    while (!/[-_]/.test(sealed)) sealed = sealPush(ring)
    assert.ok(openHandoff(ring, sealed, at()), 'control: the original opens')
    const bytes = bytesOf(sealed)
    const variants: [string, string][] = [
      ['padding', `${sealed}==`],
      ['padded standard base64', bytes.toString('base64')],
      ['standard alphabet', sealed.replace(/-/g, '+').replace(/_/g, '/')],
      ['space', `${sealed.slice(0, 20)} ${sealed.slice(20)}`],
      ['newline', `${sealed}\n`],
      ['leading space', ` ${sealed}`],
      ['percent-encoded', encodeURIComponent(`${sealed}=`)],
    ]
    // The last character of a length ≢ 0 (mod 3) payload carries unused low bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    if (bytes.length % 3 !== 0) {
      const last = alphabet.indexOf(sealed.at(-1)!)
      const sibling = `${sealed.slice(0, -1)}${alphabet[last | 1]}`
      assert.deepEqual(Buffer.from(sibling, 'base64url'), bytes, 'same bytes, other text')
      variants.push(['non-canonical last character', sibling])
    }
    for (const [name, text] of variants) {
      assert.notEqual(text, sealed)
      throwsWith(() => openHandoff(ring, text, at()), 'ERR_PAYLOAD_MALFORMED', name)
    }
  })
})

describe('keys and version', () => {
  test('sealed by another deployment → ERR_PAYLOAD_KEY_UNKNOWN', async () => {
    const ring = await testRing()
    const other = (await freshKeys()).ring
    throwsWith(() => openHandoff(ring, sealPush(other), at()), 'ERR_PAYLOAD_KEY_UNKNOWN')
  })

  test('another key presented under this ring\'s key id → ERR_PAYLOAD_INVALID', async () => {
    const ring = await testRing()
    const other = (await freshKeys()).ring
    const bytes = bytesOf(sealPush(other))
    ring.handoff[0]!.id.copy(bytes, 1)
    throwsWith(() => openHandoff(ring, bytes.toString('base64url'), at()), 'ERR_PAYLOAD_INVALID')
  })

  test('unknown version byte → ERR_PAYLOAD_VERSION, even when correctly sealed with that version', async () => {
    const ring = await testRing()
    const sealed = sealPush(ring)
    for (const version of [0, 2, 0x7f, 0xff]) {
      throwsWith(() => openHandoff(ring, withByte(sealed, 0, version), at()), 'ERR_PAYLOAD_VERSION', `version ${version}`)
    }
    // A value sealed under version 2 with the right key: the version is still refused first.
    const plain = Buffer.alloc(40)
    throwsWith(() => openHandoff(ring, sealRaw(ring, plain, 2), at()), 'ERR_PAYLOAD_VERSION')
  })

  test('key holder bugs: plaintext that is not a version-1 payload → ERR_PAYLOAD_MALFORMED', async () => {
    const ring = await testRing()
    const jti = Buffer.alloc(16, 1)
    const ref = Buffer.alloc(32, 2)
    const head = (flags: number) => {
      const h = Buffer.alloc(9)
      h.writeUInt8(flags, 0)
      h.writeUInt32BE(NOW / 1000, 1)
      h.writeUInt32BE(NOW / 1000 + 30, 5)
      return h
    }
    const name = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])
    const valid = Buffer.concat([head(1), jti, ref, name(SRC), name(DST)])
    assert.equal(openHandoff(ring, sealRaw(ring, valid), at()).src, SRC, 'control: a hand-made payload opens')
    const bad: [string, Buffer][] = [
      ['single byte', Buffer.from([1])],
      ['unknown flag bits', Buffer.concat([head(1 | 4), jti, ref, name(SRC), name(DST)])],
      ['trailing byte', Buffer.concat([valid, Buffer.from([0])])],
      ['missing dst', Buffer.concat([head(1), jti, ref, name(SRC)])],
      ['src length past the end', Buffer.concat([head(1), jti, ref, Buffer.from([200]), Buffer.from(SRC)])],
      ['ref flag but no ref', Buffer.concat([head(1), jti, name(SRC), name(DST)])],
    ]
    for (const [label, plain] of bad) throwsWith(() => openHandoff(ring, sealRaw(ring, plain), at()), 'ERR_PAYLOAD_MALFORMED', label)
  })
})

describe('destination, source, freshness and binding', () => {
  test('another dst → ERR_PAYLOAD_WRONG_DESTINATION', async () => {
    const ring = await testRing()
    const sealed = sealPush(ring)
    for (const dst of ['shop', 'hub', 'shop-de.', 'SHOP-DE', 'shop-d', '']) {
      throwsWith(() => openHandoff(ring, sealed, at({ dst })), 'ERR_PAYLOAD_WRONG_DESTINATION', dst)
    }
  })

  test('src not configured → ERR_PAYLOAD_UNKNOWN_SOURCE', async () => {
    const ring = await testRing()
    throwsWith(() => openHandoff(ring, sealPush(ring, { src: 'evil' }), at()), 'ERR_PAYLOAD_UNKNOWN_SOURCE')
    throwsWith(() => openHandoff(ring, sealPush(ring), at({ sources: new Set() })), 'ERR_PAYLOAD_UNKNOWN_SOURCE')
  })

  test('src equal to dst is refused even when dst is listed as a source', async () => {
    const ring = await testRing()
    const sealed = sealHandoff(ring, { ref: newRef(), src: DST, dst: DST, now: NOW })
    throwsWith(() => openHandoff(ring, sealed, at({ sources: new Set([SRC, DST]) })), 'ERR_PAYLOAD_UNKNOWN_SOURCE')
  })

  test('expired after timeout (+ skew), accepted up to the edge', async () => {
    const ring = await testRing()
    const sealed = sealPush(ring, { ttlSeconds: 30 })
    openHandoff(ring, sealed, at({ now: NOW + 35_000 }))
    openHandoff(ring, sealed, at({ now: NOW + 35_999 }))
    throwsWith(() => openHandoff(ring, sealed, at({ now: NOW + 36_000 })), 'ERR_PAYLOAD_EXPIRED')
    throwsWith(() => openHandoff(ring, sealed, at({ now: NOW + 3_600_000 })), 'ERR_PAYLOAD_EXPIRED')
    throwsWith(() => openHandoff(ring, sealed, at({ now: NOW + 31_000, skewSeconds: 0 })), 'ERR_PAYLOAD_EXPIRED')
    // A short ttl expires early even though the receiver's timeout is longer.
    const short = sealPush(ring, { ttlSeconds: 2 })
    throwsWith(() => openHandoff(ring, short, at({ now: NOW + 8_000 })), 'ERR_PAYLOAD_EXPIRED')
  })

  test('issued in the future beyond the skew → ERR_PAYLOAD_FROM_FUTURE', async () => {
    const ring = await testRing()
    openHandoff(ring, sealPush(ring, { now: NOW + 5_000 }), at())
    throwsWith(() => openHandoff(ring, sealPush(ring, { now: NOW + 6_000 }), at()), 'ERR_PAYLOAD_FROM_FUTURE')
    throwsWith(() => openHandoff(ring, sealPush(ring, { now: NOW + 86_400_000 }), at()), 'ERR_PAYLOAD_FROM_FUTURE')
    throwsWith(() => openHandoff(ring, sealPush(ring, { now: NOW + 1_000 }), at({ skewSeconds: 0 })), 'ERR_PAYLOAD_FROM_FUTURE')
  })

  test('sealed with a ttl longer than the receiver\'s timeout → ERR_PAYLOAD_LIFETIME', async () => {
    const ring = await testRing()
    openHandoff(ring, sealPush(ring, { ttlSeconds: 30 }), at({ timeoutSeconds: 30 }))
    throwsWith(() => openHandoff(ring, sealPush(ring, { ttlSeconds: 31 }), at()), 'ERR_PAYLOAD_LIFETIME')
    throwsWith(() => openHandoff(ring, sealPush(ring, { ttlSeconds: 3600 }), at()), 'ERR_PAYLOAD_LIFETIME')
    throwsWith(() => openHandoff(ring, sealPush(ring, { ttlSeconds: 30 }), at({ timeoutSeconds: 10 })), 'ERR_PAYLOAD_LIFETIME')
  })

  test('binding: bound opened as push, wrong bind, unbound opened with a bind → ERR_PAYLOAD_BINDING', async () => {
    const ring = await testRing()
    const bind = newRef()
    const bound = sealPush(ring, { bind, src: 'hub' })
    openHandoff(ring, bound, at({ bind }))
    throwsWith(() => openHandoff(ring, bound, at()), 'ERR_PAYLOAD_BINDING', 'bound payload as a push')
    throwsWith(() => openHandoff(ring, bound, at({ bind: newRef() })), 'ERR_PAYLOAD_BINDING', 'other bind')
    throwsWith(() => openHandoff(ring, bound, at({ bind: bind.slice(0, -1) })), 'ERR_PAYLOAD_BINDING', 'shorter bind')
    throwsWith(() => openHandoff(ring, bound, at({ bind: `${bind}A` })), 'ERR_PAYLOAD_BINDING', 'longer bind')
    throwsWith(() => openHandoff(ring, bound, at({ bind: '' })), 'ERR_PAYLOAD_BINDING', 'empty bind')
    const unbound = sealPush(ring)
    throwsWith(() => openHandoff(ring, unbound, at({ bind })), 'ERR_PAYLOAD_BINDING', 'push payload in a pull')
    const noSession = sealHandoff(ring, { ref: null, src: 'hub', dst: DST, bind, now: NOW })
    throwsWith(() => openHandoff(ring, noSession, at({ bind: newRef() })), 'ERR_PAYLOAD_BINDING', '"no session" for another browser')
  })

  test('order of checks: destination before source before freshness before binding', async () => {
    const ring = await testRing()
    const sealed = sealHandoff(ring, { ref: newRef(), src: 'evil', dst: 'elsewhere', bind: newRef(), ttlSeconds: 60, now: NOW - 3_600_000 })
    throwsWith(() => openHandoff(ring, sealed, at()), 'ERR_PAYLOAD_WRONG_DESTINATION')
    throwsWith(() => openHandoff(ring, sealed, at({ dst: 'elsewhere' })), 'ERR_PAYLOAD_UNKNOWN_SOURCE')
    throwsWith(() => openHandoff(ring, sealed, at({ dst: 'elsewhere', sources: new Set(['evil']) })), 'ERR_PAYLOAD_LIFETIME')
    throwsWith(() => openHandoff(ring, sealed, at({ dst: 'elsewhere', sources: new Set(['evil']), timeoutSeconds: 60 })), 'ERR_PAYLOAD_EXPIRED')
  })
})

describe('input that is not a payload', () => {
  test('weird types and huge strings → ERR_PAYLOAD_MALFORMED, never a TypeError', async () => {
    const ring = await testRing()
    const sealed = sealPush(ring)
    const inputs: unknown[] = [
      undefined, null, 0, 42, Number.NaN, true, {}, [], [sealed], { toString: () => sealed }, new String(sealed),
      bytesOf(sealed), Symbol('p'), 10n, () => sealed,
      '', 'A', 'AAAA', '====', '.', '../../etc/passwd', `${sealed}.js`, `${sealed}.`, '\u0000'.repeat(200), 'é'.repeat(200),
      'A'.repeat(1025), `${sealed}${'A'.repeat(1024)}`, 'x'.repeat(5_000_000),
    ]
    for (const input of inputs) {
      const label = typeof input === 'string' ? JSON.stringify(input.slice(0, 30)) : typeof input
      throwsWith(() => openHandoff(ring, input, at()), 'ERR_PAYLOAD_MALFORMED', label)
    }
  })
})
