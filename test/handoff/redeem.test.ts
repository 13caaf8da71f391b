import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { redeemHandoff } from '../../src/handoff/redeem.js'
import { sealHandoff } from '../../src/handoff/seal.js'
import { SharedSessionError } from '../../src/errors/shared-session-error.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { rejectsWith, testRing } from '../helpers/keys.js'
import { DST, NOW, SRC, at, newRef, sealPush } from './fixtures.js'

/** A memory store whose clock is the same fake clock the payload checks use. */
function storeAt(clock: { now: number }) {
  return createMemoryStore({ clock: () => clock.now })
}

describe('redeemHandoff with the memory store', () => {
  test('a payload redeems once; the second time is ERR_PAYLOAD_REPLAYED (real clock)', async () => {
    const ring = await testRing()
    const store = createMemoryStore()
    const sealed = sealHandoff(ring, { ref: newRef(), src: SRC, dst: DST })
    const options = { dst: DST, sources: new Set([SRC]) }
    const first = await redeemHandoff(store, ring, sealed, options)
    assert.equal(first.src, SRC)
    await rejectsWith(() => redeemHandoff(store, ring, sealed, options), 'ERR_PAYLOAD_REPLAYED')
    await rejectsWith(() => redeemHandoff(store, ring, sealed, options), 'ERR_PAYLOAD_REPLAYED')
  })

  test('20 parallel redemptions of one payload: exactly one succeeds, 19 are replays', async () => {
    const ring = await testRing()
    const clock = { now: NOW }
    const store = storeAt(clock)
    const sealed = sealPush(ring)
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => redeemHandoff(store, ring, sealed, at())))
    const fulfilled = results.filter((r) => r.status === 'fulfilled')
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    assert.equal(fulfilled.length, 1)
    assert.equal(rejected.length, 19)
    for (const r of rejected) assert.ok(r.reason instanceof SharedSessionError && r.reason.code === 'ERR_PAYLOAD_REPLAYED')
  })

  test('different payloads each redeem once', async () => {
    const ring = await testRing()
    const store = storeAt({ now: NOW })
    const sealed = Array.from({ length: 10 }, () => sealPush(ring))
    const results = await Promise.all(sealed.map((s) => redeemHandoff(store, ring, s, at())))
    assert.equal(new Set(results.map((p) => p.jti)).size, 10)
  })

  test('a payload refused before its jti is read does not burn it; one refused for its binding is spent', async () => {
    const ring = await testRing()
    const clock = { now: NOW }
    const store = storeAt(clock)
    const bind = newRef()
    const sealed = sealPush(ring, { bind, src: 'hub' })
    await rejectsWith(() => redeemHandoff(store, ring, sealed, at({ dst: 'shop', bind })), 'ERR_PAYLOAD_WRONG_DESTINATION')
    await rejectsWith(() => redeemHandoff(store, ring, sealed, at({ sources: new Set([SRC]), bind })), 'ERR_PAYLOAD_UNKNOWN_SOURCE')
    await rejectsWith(() => redeemHandoff(store, ring, sealed, at({ bind, timeoutSeconds: 10 })), 'ERR_PAYLOAD_LIFETIME')
    await rejectsWith(() => redeemHandoff(store, ring, sealed, at({ bind, now: NOW - 60_000 })), 'ERR_PAYLOAD_FROM_FUTURE')
    assert.equal((await store.count(NOW)).nonces, 0, 'nothing was written for payloads refused before the jti')
    const payload = await redeemHandoff(store, ring, sealed, at({ bind }))
    assert.equal(payload.dst, DST)
    await rejectsWith(() => redeemHandoff(store, ring, sealed, at({ bind })), 'ERR_PAYLOAD_REPLAYED')
    // A pull answer that reached a browser without its state (a leaked URL): refused, and spent with it.
    const leaked = sealPush(ring, { bind, src: 'hub' })
    await rejectsWith(() => redeemHandoff(store, ring, leaked, at({ bind: newRef() })), 'ERR_PAYLOAD_BINDING')
    await rejectsWith(() => redeemHandoff(store, ring, leaked, at({ bind })), 'ERR_PAYLOAD_REPLAYED')
    const unbound = sealPush(ring, { bind, src: 'hub' })
    await rejectsWith(() => redeemHandoff(store, ring, unbound, at()), 'ERR_PAYLOAD_BINDING')
    await rejectsWith(() => redeemHandoff(store, ring, unbound, at({ bind })), 'ERR_PAYLOAD_REPLAYED')
  })

  test('the jti is remembered for the whole acceptance window: a replay is never accepted while fresh', async () => {
    const ring = await testRing()
    const clock = { now: NOW }
    const store = storeAt(clock)
    const sealed = sealPush(ring, { ttlSeconds: 30 })
    await redeemHandoff(store, ring, sealed, at())
    // exp = NOW + 30 s; with 5 s skew the payload passes the checks until NOW + 35.999 s.
    for (let ms = 0; ms < 36_000; ms += 250) {
      clock.now = NOW + ms
      await rejectsWith(() => redeemHandoff(store, ring, sealed, at({ now: clock.now })), 'ERR_PAYLOAD_REPLAYED', `+${ms} ms`)
    }
    clock.now = NOW + 35_999
    await rejectsWith(() => redeemHandoff(store, ring, sealed, at({ now: clock.now })), 'ERR_PAYLOAD_REPLAYED', '+35999 ms')
    clock.now = NOW + 36_000
    await rejectsWith(() => redeemHandoff(store, ring, sealed, at({ now: clock.now })), 'ERR_PAYLOAD_EXPIRED')
  })

  test('a store whose clock runs 2 s ahead of the app opens no replay window', async () => {
    const ring = await testRing()
    const app = { now: NOW + 35_500 } // exp + skew + 0.5 s: still accepted by the app
    const store = createMemoryStore({ clock: () => app.now + 2_000 })
    const sealed = sealPush(ring, { ttlSeconds: 30 })
    await redeemHandoff(store, ring, sealed, at({ now: app.now }))
    await rejectsWith(() => redeemHandoff(store, ring, sealed, at({ now: app.now })), 'ERR_PAYLOAD_REPLAYED')
  })

  test('malformed and forged input is refused before the store is touched', async () => {
    const ring = await testRing()
    const store = storeAt({ now: NOW })
    for (const input of [undefined, '', 'x'.repeat(2000), 42]) {
      await rejectsWith(() => redeemHandoff(store, ring, input, at()), 'ERR_PAYLOAD_MALFORMED')
    }
    assert.equal((await store.count(NOW)).nonces, 0)
  })
})
