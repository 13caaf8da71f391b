import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import {
  createSession,
  destroySession,
  destroyUserSessions,
  hashCookieValue,
  linkSite,
  listUserSessions,
  newId,
  patchSession,
  redeemHandoff,
  sealHandoff,
  resolveCookie,
  rotateSession,
  sessionPolicy,
  touchSession,
  unlinkSite,
  type SessionStore,
} from '../../src/index.js'
import { STORE_FACTORIES, type StoreFixture } from '../helpers/stores.js'
import { testRing } from '../helpers/keys.js'

const policy = sessionPolicy({ idleTimeoutMs: 60_000, absoluteTimeoutMs: 600_000, touchIntervalMs: 10_000 })
const alice = { sub: 'u_alice', username: 'alice', email: 'alice@example.com', name: 'Alice' }
const HOSTILE = ['', '__proto__', 'constructor', 'x'.repeat(100_000), 'a\u0000b', '\r\nSet-Cookie: x=1', '*', '../../etc/passwd', newId() + '=']

for (const [kind, make] of Object.entries(STORE_FACTORIES)) {
  describe(`sessions on the ${kind} store`, () => {
    let fixture: StoreFixture
    let store: SessionStore
    before(async () => {
      fixture = await make()
      store = fixture.store
    })
    after(() => fixture.cleanup())

    test('a site cookie resolves to its global session, only on that site', async () => {
      const session = await createSession(store, policy, { data: { cart: ['teapot'] } })
      const shop = await linkSite(store, session, 'shop')
      const de = await linkSite(store, session, 'shop-de')
      assert.notEqual(shop, de)
      assert.deepEqual((await resolveCookie(store, 'shop', shop))?.data.cart, ['teapot'])
      assert.equal((await resolveCookie(store, 'shop-de', de))?.id, session.id)
      // A cookie stolen from shop opens nothing on shop-de.
      assert.equal(await resolveCookie(store, 'shop-de', shop), null)
    })

    test('the store never holds a cookie value, only its hash', async () => {
      const session = await createSession(store, policy)
      const cookie = await linkSite(store, session, 'shop')
      assert.equal(await store.resolveLink(cookie, Date.now()), null)
      assert.ok(await store.resolveLink(hashCookieValue(cookie), Date.now()))
    })

    test('hostile and random cookie values resolve to no session and write nothing', async () => {
      const before = await store.count(Date.now())
      for (const value of [...HOSTILE, undefined, null, 42, {}, ['a']]) assert.equal(await resolveCookie(store, 'shop', value), null)
      for (let i = 0; i < 1000; i++) {
        const value = i % 2 ? newId() : randomBytes(1 + (i % 60)).toString('latin1')
        assert.equal(await resolveCookie(store, 'shop', value), null)
      }
      assert.deepEqual(await store.count(Date.now()), before)
    })

    test('patches write per key; other keys and other writers are untouched', async () => {
      const session = await createSession(store, policy, { data: { a: 1 } })
      await Promise.all([patchSession(store, session.id, { b: 2 }), patchSession(store, session.id, { c: { deep: [3] } })])
      await patchSession(store, session.id, { a: undefined, ['__proto__']: 'kept as data' })
      const cookie = await linkSite(store, session, 'shop')
      const found = await resolveCookie(store, 'shop', cookie)
      assert.deepEqual({ ...found!.data }, { b: 2, c: { deep: [3] }, ['__proto__']: 'kept as data' })
      assert.equal(({} as Record<string, unknown>).polluted, undefined)
    })

    test('bad data and missing sessions are refused with codes', async () => {
      const session = await createSession(store, policy)
      await assert.rejects(patchSession(store, session.id, { '': 1 }), { code: 'ERR_SESSION_DATA_INVALID' })
      await assert.rejects(patchSession(store, session.id, { big: 'x'.repeat(70_000) }), { code: 'ERR_SESSION_DATA_INVALID' })
      await assert.rejects(patchSession(store, session.id, { fn: () => 1 }), { code: 'ERR_SESSION_DATA_INVALID' })
      await assert.rejects(patchSession(store, newId(), { a: 1 }), { code: 'ERR_SESSION_NOT_FOUND' })
    })

    test('idle expiry moves with touches; absolute expiry does not', async () => {
      const t0 = Date.now()
      const session = await createSession(store, policy, { now: t0 })
      const cookie = await linkSite(store, session, 'shop', t0)
      assert.equal(await touchSession(store, policy, session, t0 + 5_000), false, 'no write inside the touch interval')
      assert.equal(await touchSession(store, policy, session, t0 + 50_000), true)
      assert.ok(await resolveCookie(store, 'shop', cookie, t0 + 100_000), 'alive after the first idle period thanks to the touch')
      assert.equal(await resolveCookie(store, 'shop', cookie, t0 + 50_000 + 60_001), null, 'idle expiry')
      let now = t0
      while (now < t0 + 590_000) {
        now += 50_000
        await touchSession(store, policy, session, now)
      }
      assert.equal(await resolveCookie(store, 'shop', cookie, t0 + 600_001), null, 'absolute expiry beats activity')
    })

    test('rotation at login carries the data over and kills every old link', async () => {
      const anonymous = await createSession(store, policy, { data: { cart: ['teapot', 'cups'] } })
      const shop = await linkSite(store, anonymous, 'shop')
      const hub = await linkSite(store, anonymous, 'hub')
      const fresh = await rotateSession(store, policy, anonymous.id, { user: alice })
      assert.notEqual(fresh.id, anonymous.id)
      assert.deepEqual(fresh.user, alice)
      assert.deepEqual(fresh.data.cart, ['teapot', 'cups'])
      assert.equal(await resolveCookie(store, 'shop', shop), null, 'fixation: the pre-login cookie is dead')
      assert.equal(await resolveCookie(store, 'hub', hub), null)
      assert.equal(await store.getSession(anonymous.id, Date.now()), null)
    })

    test('logout of one site, of one session, and of all sessions of a user', async () => {
      const sub = `u_${randomBytes(4).toString('hex')}`
      const user = { ...alice, sub }
      const laptop = await createSession(store, policy, { user })
      const phone = await createSession(store, policy, { user })
      const other = await createSession(store, policy, { user: { ...alice, sub: `${sub}_other` } })
      const shop = await linkSite(store, laptop, 'shop')
      const de = await linkSite(store, laptop, 'shop-de')
      assert.equal(await unlinkSite(store, shop), true)
      assert.equal(await resolveCookie(store, 'shop', shop), null)
      assert.ok(await resolveCookie(store, 'shop-de', de), 'other sites keep the session')
      assert.deepEqual((await listUserSessions(store, sub)).map((s) => s.id).sort(), [laptop.id, phone.id].sort())
      assert.equal(await destroySession(store, laptop.id), true)
      assert.equal(await resolveCookie(store, 'shop-de', de), null)
      assert.equal(await destroyUserSessions(store, sub), 1)
      assert.deepEqual(await listUserSessions(store, sub), [])
      assert.ok(await store.getSession(other.id, Date.now()), 'another user is untouched')
    })

    test('a handoff payload redeems exactly once: sequential replay and 20 parallel copies', async () => {
      const ring = await testRing()
      const session = await createSession(store, policy)
      const options = { dst: 'shop-de', sources: new Set(['shop', 'shop-de']) }
      const sealed = sealHandoff(ring, { ref: session.id, src: 'shop', dst: 'shop-de' })
      assert.equal((await redeemHandoff(store, ring, sealed, options)).ref, session.id)
      await assert.rejects(redeemHandoff(store, ring, sealed, options), { code: 'ERR_PAYLOAD_REPLAYED' })
      const fresh = sealHandoff(ring, { ref: session.id, src: 'shop', dst: 'shop-de' })
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => redeemHandoff(store, ring, fresh, options)))
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code: string }).code, 'ERR_PAYLOAD_REPLAYED')
    })

    test('property: any data written by one patch reads back the same', async () => {
      const session = await createSession(store, policy)
      const cookie = await linkSite(store, session, 'shop')
      await fc.assert(
        fc.asyncProperty(fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !/[\u0000-\u001f]/.test(k)), fc.jsonValue(), async (key, value) => {
          await patchSession(store, session.id, { [key]: value })
          const found = await resolveCookie(store, 'shop', cookie)
          assert.deepEqual(found!.data[key], JSON.parse(JSON.stringify(value)))
        }),
        { numRuns: 50 },
      )
    })
  })
}
