import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { openHandoff } from '../../src/handoff/open.js'
import { sealHandoff } from '../../src/handoff/seal.js'
import { SITE_NAME } from '../../src/handoff/payload.js'
import { SharedSessionError } from '../../src/errors/shared-session-error.js'
import { testRing } from '../helpers/keys.js'
import { NOW, at, bytesOf, sealPush } from './fixtures.js'

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
const ref32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b64)
const site = fc.stringMatching(SITE_NAME)

describe('handoff payload properties', () => {
  test('seal/open round-trips arbitrary valid inputs', async () => {
    const ring = await testRing()
    await fc.assert(
      fc.property(
        fc.record({
          ref: fc.option(ref32, { nil: null }),
          src: site,
          dst: site,
          bind: fc.option(ref32, { nil: undefined }),
          ttlSeconds: fc.integer({ min: 1, max: 30 }),
          // Any second from 2001 to 2100, and how far into its life the payload is opened.
          nowSeconds: fc.integer({ min: 1_000_000_000, max: 4_102_444_800 }),
          age: fc.nat(30),
        }),
        ({ ref, src, dst, bind, ttlSeconds, nowSeconds, age }) => {
          fc.pre(src !== dst)
          const now = nowSeconds * 1000
          const sealed = sealHandoff(ring, { ref, src, dst, bind, ttlSeconds, now })
          const opened = openHandoff(ring, sealed, { dst, sources: new Set([src]), bind, now: now + Math.min(age, ttlSeconds) * 1000 })
          assert.equal(opened.ref, ref)
          assert.equal(opened.src, src)
          assert.equal(opened.dst, dst)
          assert.equal(opened.bind, bind)
          assert.equal(opened.iat, nowSeconds)
          assert.equal(opened.exp, nowSeconds + ttlSeconds)
        },
      ),
      { numRuns: 200 },
    )
  })

  test('any single-byte change to the decoded payload is rejected', async () => {
    const ring = await testRing()
    const sealed = sealPush(ring)
    const bytes = bytesOf(sealed)
    await fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 }), (index, value) => {
        fc.pre(bytes[index] !== value)
        const changed = Buffer.from(bytes)
        changed[index] = value
        let err: unknown
        try {
          openHandoff(ring, changed.toString('base64url'), at())
        } catch (e) {
          err = e
        }
        assert.ok(err instanceof SharedSessionError, `accepted or crashed: byte ${index} → ${value}`)
        const expected = index === 0 ? 'ERR_PAYLOAD_VERSION' : index <= 4 ? 'ERR_PAYLOAD_KEY_UNKNOWN' : 'ERR_PAYLOAD_INVALID'
        assert.equal(err.code, expected)
      }),
      { numRuns: 200 },
    )
  })

  test('any single-character change to the sealed text is rejected', async () => {
    const ring = await testRing()
    const sealed = sealPush(ring)
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .'
    await fc.assert(
      fc.property(fc.nat(sealed.length - 1), fc.constantFrom(...chars.split('')), (index, char) => {
        fc.pre(sealed[index] !== char)
        const changed = sealed.slice(0, index) + char + sealed.slice(index + 1)
        assert.throws(() => openHandoff(ring, changed, at()), (e: unknown) => e instanceof SharedSessionError && e.code.startsWith('ERR_PAYLOAD_'))
      }),
      { numRuns: 200 },
    )
  })

  test('arbitrary strings never open and never crash', async () => {
    const ring = await testRing()
    await fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.base64String({ maxLength: 200 }), fc.uint8Array({ maxLength: 150 }).map(b64)), (input) => {
        assert.throws(() => openHandoff(ring, input, at({ now: NOW })), (e: unknown) => e instanceof SharedSessionError && e.code.startsWith('ERR_PAYLOAD_'))
      }),
      { numRuns: 200 },
    )
  })
})
