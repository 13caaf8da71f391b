import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { sealHandoff } from '../../src/handoff/seal.js'
import { openHandoff } from '../../src/handoff/open.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { rotateSecret } from '../../src/keys/rotate.js'
import { freshKeys, testRing, throwsWith } from '../helpers/keys.js'
import { DST, NOW, SRC, at, bytesOf, newRef, sealPush } from './fixtures.js'

const NOW_S = NOW / 1000

describe('handoff seal/open round trip', () => {
  test('push payload: ref, no bind', async () => {
    const ring = await testRing()
    const ref = newRef()
    const payload = openHandoff(ring, sealHandoff(ring, { ref, src: SRC, dst: DST, now: NOW }), at())
    assert.equal(payload.ref, ref)
    assert.equal(payload.src, SRC)
    assert.equal(payload.dst, DST)
    assert.equal(payload.iat, NOW_S)
    assert.equal(payload.exp, NOW_S + 30, 'default ttl is 30 s')
    assert.match(payload.jti, /^[A-Za-z0-9_-]{22}$/)
    assert.equal('bind' in payload, false)
  })

  test('pull payload: ref and bind', async () => {
    const ring = await testRing()
    const ref = newRef()
    const bind = newRef()
    const payload = openHandoff(ring, sealHandoff(ring, { ref, src: 'hub', dst: DST, bind, now: NOW }), at({ bind }))
    assert.equal(payload.ref, ref)
    assert.equal(payload.bind, bind)
    assert.equal(payload.src, 'hub')
  })

  test('bound "no session" answer: null ref with bind', async () => {
    const ring = await testRing()
    const bind = newRef()
    const payload = openHandoff(ring, sealHandoff(ring, { ref: null, src: 'hub', dst: DST, bind, now: NOW }), at({ bind }))
    assert.equal(payload.ref, null)
    assert.equal(payload.bind, bind)
  })

  test('null ref without bind round-trips (it carries nothing)', async () => {
    const ring = await testRing()
    const payload = openHandoff(ring, sealHandoff(ring, { ref: null, src: SRC, dst: DST, now: NOW }), at())
    assert.equal(payload.ref, null)
  })

  test('each seal is unique: fresh iv and jti', async () => {
    const ring = await testRing()
    const ref = newRef()
    const a = sealHandoff(ring, { ref, src: SRC, dst: DST, now: NOW })
    const b = sealHandoff(ring, { ref, src: SRC, dst: DST, now: NOW })
    assert.notEqual(a, b)
    assert.notEqual(bytesOf(a).subarray(5, 17).toString('hex'), bytesOf(b).subarray(5, 17).toString('hex'))
    assert.notEqual(openHandoff(ring, a, at()).jti, openHandoff(ring, b, at()).jti)
  })

  test('a realistic push payload fits the loader budget: at most 160 base64url characters', async () => {
    const ring = await testRing()
    const sealed = sealHandoff(ring, { ref: newRef(), src: 'shop', dst: 'shop-de', now: NOW })
    assert.match(sealed, /^[A-Za-z0-9_-]+$/)
    assert.ok(sealed.length <= 160, `${sealed.length} characters`)
  })

  test('the sealed text reveals nothing of what it carries', async () => {
    const ring = await testRing()
    for (let i = 0; i < 50; i++) {
      const ref = newRef()
      const bind = newRef()
      const sealed = sealHandoff(ring, { ref, src: SRC, dst: DST, bind, now: NOW })
      const raw = bytesOf(sealed)
      const payload = openHandoff(ring, sealed, at({ bind }))
      // Not the ref, bind or jti as text, nor any 8-character run of them, nor their bytes.
      for (const secret of [ref, bind, payload.jti]) {
        for (let j = 0; j + 8 <= secret.length; j++) assert.equal(sealed.includes(secret.slice(j, j + 8)), false)
        assert.equal(raw.includes(Buffer.from(secret, 'base64url').subarray(0, 8)), false)
      }
      assert.equal(raw.includes(Buffer.from(`${SRC}`)), false)
      assert.equal(raw.includes(Buffer.from(DST)), false)
    }
  })

  test('seal refuses bad site names, ttl, ref and bind', async () => {
    const ring = await testRing()
    for (const name of ['', 'Shop', '-shop', 'shop/de', 'shop de', 'a'.repeat(64), 'ünï', 'shop\n']) {
      throwsWith(() => sealHandoff(ring, { ref: newRef(), src: name, dst: DST }), 'ERR_CONFIG_INVALID', `src ${JSON.stringify(name)}`)
      throwsWith(() => sealHandoff(ring, { ref: newRef(), src: SRC, dst: name }), 'ERR_CONFIG_INVALID', `dst ${JSON.stringify(name)}`)
    }
    for (const ttlSeconds of [0, -1, 3601, 1.5, Number.NaN]) {
      throwsWith(() => sealHandoff(ring, { ref: newRef(), src: SRC, dst: DST, ttlSeconds }), 'ERR_CONFIG_INVALID', `ttl ${ttlSeconds}`)
    }
    for (const ref of ['', 'short', newRef() + 'A', `${newRef().slice(0, -1)}=`]) {
      throwsWith(() => sealHandoff(ring, { ref, src: SRC, dst: DST }), 'ERR_PAYLOAD_MALFORMED', `ref ${ref}`)
      throwsWith(() => sealHandoff(ring, { ref: newRef(), src: SRC, dst: DST, bind: ref }), 'ERR_PAYLOAD_MALFORMED', `bind ${ref}`)
    }
  })

  test('seal refuses a clock the u32 format cannot hold, instead of a RangeError or a garbage payload', async () => {
    const ring = await testRing()
    for (const now of [Number.NaN, Number.POSITIVE_INFINITY, -1000, 2 ** 32 * 1000, (2 ** 32 - 10) * 1000]) {
      throwsWith(() => sealHandoff(ring, { ref: newRef(), src: SRC, dst: DST, now }), 'ERR_CONFIG_INVALID', `now ${now}`)
    }
    // The last representable moment still works.
    const last = (2 ** 32 - 1 - 30) * 1000
    const payload = openHandoff(ring, sealHandoff(ring, { ref: newRef(), src: SRC, dst: DST, now: last }), at({ now: last }))
    assert.equal(payload.exp, 2 ** 32 - 1)
  })
})

describe('master secret rotation', () => {
  test('a payload sealed under the previous secret opens after rotateSecret, and not once it is dropped', async () => {
    const { config, ring: before } = await freshKeys()
    const inFlight = sealPush(before)

    const rotated = rotateSecret(config)
    assert.deepEqual(rotated.previousSecrets, [config.secret])
    const during = await loadKeyRing(rotated)
    assert.equal(during.handoff.length, 2)
    assert.ok(openHandoff(during, inFlight, at()).ref)
    // New payloads use the new key, which the old ring does not know.
    const fresh = sealPush(during)
    assert.ok(openHandoff(during, fresh, at()).ref)
    throwsWith(() => openHandoff(before, fresh, at()), 'ERR_PAYLOAD_KEY_UNKNOWN')

    const after = await loadKeyRing(rotateSecret(rotated))
    throwsWith(() => openHandoff(after, inFlight, at()), 'ERR_PAYLOAD_KEY_UNKNOWN')
    assert.ok(openHandoff(after, fresh, at()).ref, 'keep 1: the secret before is still there')

    const noOverlap = await loadKeyRing(rotateSecret(config, { keep: 0 }))
    throwsWith(() => openHandoff(noOverlap, inFlight, at()), 'ERR_PAYLOAD_KEY_UNKNOWN')
  })

  test('the key id of a previous key on a payload of the current key is caught by authentication', async () => {
    const { config } = await freshKeys()
    const ring = await loadKeyRing(rotateSecret(config))
    const sealed = sealPush(ring)
    const bytes = bytesOf(sealed)
    ring.handoff[1]!.id.copy(bytes, 1)
    throwsWith(() => openHandoff(ring, bytes.toString('base64url'), at()), 'ERR_PAYLOAD_INVALID')
  })
})
