import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import type { LinkRecord, SessionRecord, SessionStore, SessionUser } from '../../src/stores/store.js'

/**
 * A store under test and how to dispose of it (close it and remove its file or keys).
 *
 * @example
 * ```ts
 * const made: StoreUnderTest = { store: createMemoryStore(), cleanup: async () => {} }
 * ```
 */
export interface StoreUnderTest {
  store: SessionStore
  cleanup(): Promise<void>
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/**
 * A fresh random id shaped like the real ones (256 bits, base64url).
 *
 * @example
 * ```ts
 * const hash = randomId()
 * ```
 */
export function randomId(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * A live session record starting at `at` (real time by default, because
 * Redis expires keys on its own clock): idle expiry in 1 h, absolute in 24 h.
 *
 * @example
 * ```ts
 * const record = makeRecord({ user: alice, idleExpiresAt: Date.now() + 1000 })
 * ```
 */
export function makeRecord(overrides: Partial<SessionRecord> = {}, at = Date.now()): SessionRecord {
  return {
    id: randomId(),
    user: null,
    data: {},
    createdAt: at,
    lastSeenAt: at,
    idleExpiresAt: at + HOUR,
    absoluteExpiresAt: at + 24 * HOUR,
    ...overrides,
  }
}

function makeLink(session: SessionRecord, overrides: Partial<LinkRecord> = {}): LinkRecord {
  return { sessionId: session.id, site: 'shop', via: 'push', createdAt: session.createdAt, expiresAt: session.absoluteExpiresAt, ...overrides }
}

const alice: SessionUser = { sub: 'u_alice', username: 'alice', email: 'alice@example.com', name: 'Alice Ünïcødé' }
const bob: SessionUser = { sub: 'u_bob', username: 'bob' }

/**
 * Keys and ids an attacker would try: empty, prototype names, huge, control and pattern characters.
 *
 * @example
 * ```ts
 * for (const hash of HOSTILE_STRINGS) assert.equal(await store.resolveLink(hash, now), null)
 * ```
 */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'x'.repeat(10_000),
  '\u0000',
  'a\u0000b',
  '\r\n\t\u001b[31m',
  '*',
  '?',
  '[a-z]',
  '\\',
  '*:*',
  's:*',
  '%s%d',
  "'; DROP TABLE sessions; --",
  "') OR 1=1 --",
  ']]',
  '--[[',
  "') redis.call('FLUSHALL') --",
  '{}',
  '{"sid":"x"}',
  '../../etc/passwd',
  '😀'.repeat(100),
  '\uD800',
]

/**
 * The behaviour every session store must show, run unchanged against each
 * store. `makeStore` returns a fresh, empty store per test.
 *
 * @example
 * ```ts
 * runStoreContract('memory', async () => ({ store: createMemoryStore(), cleanup: async () => {} }))
 * ```
 */
export function runStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  async function withStore(fn: (store: SessionStore) => Promise<void>): Promise<void> {
    const { store, cleanup } = await makeStore()
    try {
      await fn(store)
    } finally {
      await cleanup()
    }
  }

  describe(`${name} store contract`, () => {
    describe('sessions', () => {
      test('an anonymous session round-trips', () =>
        withStore(async (store) => {
          const record = makeRecord({ data: { cart: '["book"]' } })
          await store.insertSession(record)
          assert.deepEqual(await store.getSession(record.id, record.createdAt), record)
        }))

      test('a session with a user and unicode data round-trips, including keys named like prototype members', () =>
        withStore(async (store) => {
          const data = Object.fromEntries<string>([
            ['ключ', '"значение"'],
            ['emoji 😀', '"🍪 cookie"'],
            ['日本語', '{"a":[1,2,"三"]}'],
            ['__proto__', '{"polluted":true}'],
            ['constructor', '"c"'],
            ['', '"empty key"'],
            ['quote"and\'', '"\\u0000"'],
          ])
          const record = makeRecord({ user: alice, data })
          await store.insertSession(record)
          const found = await store.getSession(record.id, record.createdAt)
          assert.deepEqual(found, record)
          assert.equal(Object.getPrototypeOf(found!.data), Object.prototype)
          assert.equal(({} as Record<string, unknown>)['polluted'], undefined)
        }))

      test('an unknown id is no session', () =>
        withStore(async (store) => {
          assert.equal(await store.getSession(randomId(), Date.now()), null)
        }))

      test('records handed out are copies: mutating them changes nothing stored', () =>
        withStore(async (store) => {
          const record = makeRecord({ user: { ...alice }, data: { a: '1' } })
          await store.insertSession(record)
          record.data['a'] = 'mutated'
          record.user!.username = 'mallory'
          const first = await store.getSession(record.id, record.createdAt)
          assert.equal(first?.data['a'], '1')
          assert.equal(first?.user?.username, 'alice')
          first!.data['b'] = 'mutated'
          first!.user!.sub = 'u_mallory'
          const second = await store.getSession(record.id, record.createdAt)
          assert.deepEqual(second?.data, { a: '1' })
          assert.equal(second?.user?.sub, 'u_alice')
        }))

      test('a session is gone at its idle expiry (not a millisecond before)', () =>
        withStore(async (store) => {
          const record = makeRecord()
          await store.insertSession(record)
          assert.notEqual(await store.getSession(record.id, record.idleExpiresAt - 1), null)
          assert.equal(await store.getSession(record.id, record.idleExpiresAt), null)
          assert.equal(await store.getSession(record.id, record.idleExpiresAt + 1), null)
        }))

      test('a session is gone at its absolute expiry even when idle expiry is later', () =>
        withStore(async (store) => {
          const t0 = Date.now()
          const record = makeRecord({ idleExpiresAt: t0 + 2 * HOUR, absoluteExpiresAt: t0 + HOUR }, t0)
          await store.insertSession(record)
          assert.notEqual(await store.getSession(record.id, record.absoluteExpiresAt - 1), null)
          assert.equal(await store.getSession(record.id, record.absoluteExpiresAt), null)
          assert.deepEqual(await store.count(record.absoluteExpiresAt), { sessions: 0, links: 0, nonces: 0 })
        }))

      test('deleteSession says whether it existed and takes the session away', () =>
        withStore(async (store) => {
          const record = makeRecord({ user: alice })
          await store.insertSession(record)
          assert.equal(await store.deleteSession(record.id), true)
          assert.equal(await store.getSession(record.id, record.createdAt), null)
          assert.equal(await store.deleteSession(record.id), false)
          assert.deepEqual(await store.listUserSessions(alice.sub, record.createdAt), [])
        }))
    })

    describe('patchSession', () => {
      test('sets, overwrites and unsets keys, leaving the others alone', () =>
        withStore(async (store) => {
          const record = makeRecord({ data: { keep: '"k"', change: '1', drop: 'true' } })
          await store.insertSession(record)
          assert.equal(await store.patchSession(record.id, { set: { change: '2', added: '"ü"' }, unset: ['drop', 'never-there'] }), true)
          const found = await store.getSession(record.id, record.createdAt)
          assert.deepEqual(found?.data, { keep: '"k"', change: '2', added: '"ü"' })
        }))

      test('keys named like prototype members are patched as plain data', () =>
        withStore(async (store) => {
          const record = makeRecord()
          await store.insertSession(record)
          const set = Object.fromEntries([['__proto__', '{"polluted":true}'], ['constructor', '"c"'], ['toString', '"t"']])
          assert.equal(await store.patchSession(record.id, { set, unset: [] }), true)
          const data = (await store.getSession(record.id, record.createdAt))?.data
          assert.deepEqual(Object.entries(data ?? {}).sort(), Object.entries(set).sort())
          assert.equal(Object.getPrototypeOf(data), Object.prototype)
          await store.patchSession(record.id, { set: {}, unset: ['__proto__'] })
          assert.deepEqual(Object.keys((await store.getSession(record.id, record.createdAt))?.data ?? {}).sort(), ['constructor', 'toString'])
        }))

      test('an empty patch of a live session succeeds and changes nothing', () =>
        withStore(async (store) => {
          const record = makeRecord({ data: { a: '1' } })
          await store.insertSession(record)
          assert.equal(await store.patchSession(record.id, { set: {}, unset: [] }), true)
          assert.deepEqual(await store.getSession(record.id, record.createdAt), record)
        }))

      test('a key both set and unset in one patch ends up set', () =>
        withStore(async (store) => {
          const record = makeRecord({ data: { a: '1' } })
          await store.insertSession(record)
          await store.patchSession(record.id, { set: { a: '2' }, unset: ['a'] })
          assert.deepEqual((await store.getSession(record.id, record.createdAt))?.data, { a: '2' })
        }))

      test('patching a missing session returns false and writes nothing', () =>
        withStore(async (store) => {
          const now = Date.now()
          await store.insertSession(makeRecord())
          const before = await store.count(now)
          const ghost = randomId()
          assert.equal(await store.patchSession(ghost, { set: { a: '1' }, unset: ['b'] }), false)
          assert.equal(await store.getSession(ghost, now), null)
          assert.deepEqual(await store.count(now), before)
        }))

      test('200 concurrent patches of different keys all land', () =>
        withStore(async (store) => {
          const record = makeRecord()
          await store.insertSession(record)
          const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.patchSession(record.id, { set: { [`k${i}`]: String(i) }, unset: [] })))
          assert.ok(results.every(Boolean))
          const data = (await store.getSession(record.id, record.createdAt))?.data ?? {}
          assert.equal(Object.keys(data).length, 200)
          assert.equal(data['k199'], '199')
        }))
    })

    describe('touchSession', () => {
      test('moves lastSeenAt and the idle expiry', () =>
        withStore(async (store) => {
          const record = makeRecord()
          await store.insertSession(record)
          const seen = record.createdAt + MINUTE
          const idle = seen + 2 * HOUR
          assert.equal(await store.touchSession(record.id, seen, idle), true)
          const found = await store.getSession(record.id, record.idleExpiresAt + MINUTE)
          assert.equal(found?.lastSeenAt, seen)
          assert.equal(found?.idleExpiresAt, idle)
          assert.equal(found?.absoluteExpiresAt, record.absoluteExpiresAt)
          assert.equal(await store.getSession(record.id, idle), null)
        }))

      test('touching a missing session returns false and creates nothing', () =>
        withStore(async (store) => {
          const now = Date.now()
          const ghost = randomId()
          assert.equal(await store.touchSession(ghost, now, now + HOUR), false)
          assert.equal(await store.getSession(ghost, now), null)
          assert.deepEqual(await store.count(now), { sessions: 0, links: 0, nonces: 0 })
        }))
    })

    describe('links', () => {
      test('a link resolves to itself and its live session with data', () =>
        withStore(async (store) => {
          const record = makeRecord({ user: alice, data: { cart: '["book"]' } })
          await store.insertSession(record)
          const hash = randomId()
          const link = makeLink(record)
          await store.insertLink(hash, link)
          assert.deepEqual(await store.resolveLink(hash, record.createdAt), { link, session: record })
        }))

      test('each site has its own link to one session', () =>
        withStore(async (store) => {
          const record = makeRecord()
          await store.insertSession(record)
          const [shop, forum] = [randomId(), randomId()]
          await store.insertLink(shop, makeLink(record, { site: 'shop' }))
          await store.insertLink(forum, makeLink(record, { site: 'forum' }))
          assert.equal((await store.resolveLink(shop, record.createdAt))?.link.site, 'shop')
          assert.equal((await store.resolveLink(forum, record.createdAt))?.link.site, 'forum')
          assert.equal(await store.deleteLink(shop), true)
          assert.equal(await store.resolveLink(shop, record.createdAt), null)
          assert.equal((await store.resolveLink(forum, record.createdAt))?.session.id, record.id, 'logging out one site leaves the others')
          assert.notEqual(await store.getSession(record.id, record.createdAt), null)
          assert.equal(await store.deleteLink(shop), false)
        }))

      test('links die with their session', () =>
        withStore(async (store) => {
          const record = makeRecord()
          await store.insertSession(record)
          const hash = randomId()
          await store.insertLink(hash, makeLink(record))
          await store.deleteSession(record.id)
          assert.equal(await store.resolveLink(hash, record.createdAt), null)
          assert.equal((await store.count(record.createdAt)).links, 0)
          assert.equal(await store.deleteLink(hash), false)
        }))

      test('a link is dead once its session expired, even before its own expiry', () =>
        withStore(async (store) => {
          const record = makeRecord()
          await store.insertSession(record)
          const hash = randomId()
          await store.insertLink(hash, makeLink(record))
          assert.equal(await store.resolveLink(hash, record.idleExpiresAt), null)
          assert.equal((await store.count(record.idleExpiresAt)).links, 0)
        }))

      test('a link dies at its own expiry while its session lives on', () =>
        withStore(async (store) => {
          const record = makeRecord()
          await store.insertSession(record)
          const hash = randomId()
          const expiresAt = record.createdAt + 10 * MINUTE
          await store.insertLink(hash, makeLink(record, { expiresAt }))
          assert.notEqual(await store.resolveLink(hash, expiresAt - 1), null)
          assert.equal(await store.resolveLink(hash, expiresAt), null)
          assert.notEqual(await store.getSession(record.id, expiresAt), null)
        }))

      test('a link to a missing session is never resolvable', () =>
        withStore(async (store) => {
          const now = Date.now()
          const hash = randomId()
          await store.insertLink(hash, makeLink(makeRecord()))
          assert.equal(await store.resolveLink(hash, now), null)
          assert.deepEqual(await store.count(now), { sessions: 0, links: 0, nonces: 0 })
        }))

      test('a resolved session carries patches made after linking', () =>
        withStore(async (store) => {
          const record = makeRecord()
          await store.insertSession(record)
          const hash = randomId()
          await store.insertLink(hash, makeLink(record))
          await store.patchSession(record.id, { set: { theme: '"dark"' }, unset: [] })
          assert.deepEqual((await store.resolveLink(hash, record.createdAt))?.session.data, { theme: '"dark"' })
        }))
    })

    describe('hostile input', () => {
      test('hostile hashes, ids and subs resolve to nothing and write nothing', () =>
        withStore(async (store) => {
          const now = Date.now()
          const record = makeRecord({ user: alice, data: { a: '1' } })
          await store.insertSession(record)
          await store.insertLink(randomId(), makeLink(record))
          const before = await store.count(now)
          assert.deepEqual(before, { sessions: 1, links: 1, nonces: 0 })
          for (const hostile of HOSTILE_STRINGS) {
            const label = JSON.stringify(hostile.slice(0, 20))
            assert.equal(await store.resolveLink(hostile, now), null, label)
            assert.equal(await store.deleteLink(hostile), false, label)
            assert.equal(await store.getSession(hostile, now), null, label)
            assert.equal(await store.patchSession(hostile, { set: { a: '2' }, unset: ['a'] }), false, label)
            assert.equal(await store.touchSession(hostile, now, now + HOUR), false, label)
            assert.equal(await store.deleteSession(hostile), false, label)
            assert.deepEqual(await store.listUserSessions(hostile, now), [], label)
            assert.equal(await store.deleteUserSessions(hostile), 0, label)
          }
          assert.deepEqual(await store.count(now), before)
          assert.deepEqual(await store.getSession(record.id, now), record)
        }))

      test('1,000 random hashes resolve to nothing and leave the counts unchanged', () =>
        withStore(async (store) => {
          const now = Date.now()
          const record = makeRecord()
          await store.insertSession(record)
          await store.insertLink(randomId(), makeLink(record))
          const before = await store.count(now)
          await fc.assert(
            fc.asyncProperty(fc.oneof(fc.string({ maxLength: 64, unit: 'binary' }), fc.base64String({ minLength: 43, maxLength: 44 })), async (hash) => {
              assert.equal(await store.resolveLink(hash, now), null)
            }),
            { numRuns: 1000 },
          )
          assert.deepEqual(await store.count(now), before)
        }))
    })

    describe('users', () => {
      test('listUserSessions returns the live sessions of one user, oldest first', () =>
        withStore(async (store) => {
          const t0 = Date.now()
          const newer = makeRecord({ user: alice }, t0 + 2)
          const older = makeRecord({ user: alice }, t0 + 1)
          const expired = makeRecord({ user: alice, idleExpiresAt: t0 + MINUTE }, t0)
          const other = makeRecord({ user: bob }, t0)
          for (const r of [newer, older, expired, other]) await store.insertSession(r)
          assert.deepEqual(await store.listUserSessions(alice.sub, t0 + MINUTE), [older, newer])
          assert.deepEqual(await store.listUserSessions(bob.sub, t0), [other])
          assert.deepEqual(await store.listUserSessions('u_nobody', t0), [])
        }))

      test('deleteUserSessions ends every session of a user (and their links), nobody else’s', () =>
        withStore(async (store) => {
          const now = Date.now()
          const mine = [makeRecord({ user: alice }), makeRecord({ user: alice })]
          const theirs = makeRecord({ user: bob })
          const anonymous = makeRecord()
          for (const r of [...mine, theirs, anonymous]) await store.insertSession(r)
          const myLink = randomId()
          const theirLink = randomId()
          await store.insertLink(myLink, makeLink(mine[0]!))
          await store.insertLink(theirLink, makeLink(theirs))
          assert.equal(await store.deleteUserSessions(alice.sub), 2)
          assert.deepEqual(await store.listUserSessions(alice.sub, now), [])
          assert.equal(await store.resolveLink(myLink, now), null)
          assert.equal((await store.resolveLink(theirLink, now))?.session.id, theirs.id)
          assert.deepEqual(await store.listUserSessions(bob.sub, now), [theirs])
          assert.notEqual(await store.getSession(anonymous.id, now), null)
          assert.deepEqual(await store.count(now), { sessions: 2, links: 1, nonces: 0 })
          assert.equal(await store.deleteUserSessions(alice.sub), 0)
        }))
    })

    describe('consumeNonce', () => {
      test('is true once, then false', () =>
        withStore(async (store) => {
          const nonce = randomId()
          const expiresAt = Date.now() + MINUTE
          assert.equal(await store.consumeNonce(nonce, expiresAt), true)
          assert.equal(await store.consumeNonce(nonce, expiresAt), false)
          assert.equal(await store.consumeNonce(nonce, expiresAt + HOUR), false)
          assert.equal(await store.consumeNonce(randomId(), expiresAt), true)
        }))

      test('is true for exactly one of 20 parallel calls', () =>
        withStore(async (store) => {
          const nonce = randomId()
          const expiresAt = Date.now() + MINUTE
          const results = await Promise.all(Array.from({ length: 20 }, () => store.consumeNonce(nonce, expiresAt)))
          assert.equal(results.filter(Boolean).length, 1)
        }))

      test('a nonce can be used again once it expired', () =>
        withStore(async (store) => {
          await store.count(Date.now()) // connected (and schema made) first: the window below is for the nonce, not for start-up
          const nonce = randomId()
          assert.equal(await store.consumeNonce(nonce, Date.now() + 500), true)
          assert.equal(await store.consumeNonce(nonce, Date.now() + 500), false)
          await sleep(550) // consumeNonce takes no `now`: the store's own clock must pass the expiry
          assert.equal(await store.consumeNonce(nonce, Date.now() + MINUTE), true)
          assert.equal(await store.consumeNonce(nonce, Date.now() + MINUTE), false)
        }))

      test('hostile nonces are ordinary strings', () =>
        withStore(async (store) => {
          const expiresAt = Date.now() + MINUTE
          for (const hostile of HOSTILE_STRINGS) assert.equal(await store.consumeNonce(hostile, expiresAt), true, JSON.stringify(hostile.slice(0, 20)))
          assert.equal((await store.count(Date.now())).nonces, new Set(HOSTILE_STRINGS).size)
        }))
    })

    describe('counters', () => {
      test('a counter starts at 0 in the window it is given and keeps that window while it lives', () =>
        withStore(async (store) => {
          const t0 = Date.now()
          const key = `limit:account:${randomId()}`
          assert.deepEqual(await store.addToCounter(key, 1, t0 + MINUTE, t0), { value: 1, expiresAt: t0 + MINUTE })
          assert.deepEqual(await store.addToCounter(key, 2, t0 + HOUR, t0 + 1000), { value: 3, expiresAt: t0 + MINUTE })
          assert.deepEqual(await store.addToCounter(key, 0, t0 + HOUR, t0 + 2000), { value: 3, expiresAt: t0 + MINUTE }, 'delta 0 reads')
          assert.deepEqual(await store.addToCounter(`limit:account:${randomId()}`, 1, t0 + MINUTE, t0), { value: 1, expiresAt: t0 + MINUTE }, 'keys count apart')
        }))

      test('an expired counter starts over in a new window (at its expiry, not a millisecond before)', () =>
        withStore(async (store) => {
          const t0 = Date.now()
          const key = randomId()
          await store.addToCounter(key, 5, t0 + MINUTE, t0)
          assert.deepEqual(await store.addToCounter(key, 0, t0 + HOUR, t0 + MINUTE - 1), { value: 5, expiresAt: t0 + MINUTE })
          assert.equal((await store.addToCounter(key, 0, t0 + HOUR, t0 + MINUTE)).value, 0, 'read at its expiry')
          assert.equal((await store.addToCounter(key, -1, t0 + HOUR, t0 + MINUTE)).value, 0, 'a decrement does not revive it')
          assert.deepEqual(await store.addToCounter(key, 1, t0 + HOUR, t0 + MINUTE), { value: 1, expiresAt: t0 + HOUR })
        }))

      test('never goes below 0, and a delta of 0 or less never starts a counter', () =>
        withStore(async (store) => {
          const t0 = Date.now()
          const key = randomId()
          await store.addToCounter(key, 2, t0 + MINUTE, t0)
          assert.deepEqual(await store.addToCounter(key, -5, t0 + HOUR, t0), { value: 0, expiresAt: t0 + MINUTE })
          assert.deepEqual(await store.addToCounter(key, 1, t0 + HOUR, t0), { value: 1, expiresAt: t0 + MINUTE }, 'same window after the floor')
          const fresh = randomId()
          assert.deepEqual(await store.addToCounter(fresh, -1, t0 + MINUTE, t0), { value: 0, expiresAt: t0 + MINUTE })
          assert.deepEqual(await store.addToCounter(fresh, 0, t0 + MINUTE, t0), { value: 0, expiresAt: t0 + MINUTE })
          assert.deepEqual(await store.addToCounter(fresh, 1, t0 + HOUR, t0 + 1000), { value: 1, expiresAt: t0 + HOUR }, 'nothing was started before')
        }))

      test('deleteCounter forgets a counter; the next addition starts a new window', () =>
        withStore(async (store) => {
          const t0 = Date.now()
          const key = randomId()
          await store.addToCounter(key, 4, t0 + MINUTE, t0)
          await store.deleteCounter(key)
          assert.equal((await store.addToCounter(key, 0, t0 + MINUTE, t0)).value, 0)
          assert.deepEqual(await store.addToCounter(key, 1, t0 + HOUR, t0 + 1000), { value: 1, expiresAt: t0 + HOUR })
          await store.deleteCounter(randomId()) // a missing counter is no error
        }))

      test('50 concurrent additions and 20 concurrent subtractions are all counted, each seeing its own value', () =>
        withStore(async (store) => {
          const t0 = Date.now()
          const key = randomId()
          const values = (await Promise.all(Array.from({ length: 50 }, () => store.addToCounter(key, 1, t0 + MINUTE, t0)))).map((c) => c.value)
          assert.deepEqual([...values].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1))
          const after = (await Promise.all(Array.from({ length: 20 }, () => store.addToCounter(key, -1, t0 + MINUTE, t0)))).map((c) => c.value)
          assert.deepEqual([...after].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 30))
          assert.equal((await store.addToCounter(key, 0, t0 + MINUTE, t0)).value, 30)
        }))

      test('counters are apart from sessions, links and nonces: same names collide with nothing, count leaves them out', () =>
        withStore(async (store) => {
          const t0 = Date.now()
          const record = makeRecord({}, t0)
          await store.insertSession(record)
          const nonce = randomId()
          for (const key of [record.id, nonce, `s:${record.id}`, `n:${nonce}`]) assert.equal((await store.addToCounter(key, 1, t0 + MINUTE, t0)).value, 1)
          await store.deleteCounter(record.id)
          assert.deepEqual(await store.getSession(record.id, t0), record)
          assert.equal(await store.consumeNonce(nonce, t0 + MINUTE), true)
          assert.deepEqual(await store.count(t0), { sessions: 1, links: 0, nonces: 1 })
        }))

      test('hostile counter names are ordinary, distinct strings', () =>
        withStore(async (store) => {
          const t0 = Date.now()
          for (const hostile of HOSTILE_STRINGS) assert.equal((await store.addToCounter(hostile, 1, t0 + MINUTE, t0)).value, 1, JSON.stringify(hostile.slice(0, 20)))
          for (const hostile of HOSTILE_STRINGS) assert.equal((await store.addToCounter(hostile, 0, t0 + MINUTE, t0)).value, 1, JSON.stringify(hostile.slice(0, 20)))
        }))

      test('sweep keeps live counters', () =>
        withStore(async (store) => {
          const t0 = Date.now()
          const live = randomId()
          await store.addToCounter(live, 2, t0 + HOUR, t0)
          await store.addToCounter(randomId(), 1, t0 + MINUTE, t0)
          await store.sweep(t0 + 2 * MINUTE)
          assert.equal((await store.addToCounter(live, 0, t0 + HOUR, t0 + 2 * MINUTE)).value, 2)
        }))
    })

    describe('count and sweep', () => {
      test('count reports live sessions, links and nonces at `now`', () =>
        withStore(async (store) => {
          const t0 = Date.now()
          assert.deepEqual(await store.count(t0), { sessions: 0, links: 0, nonces: 0 })
          const short = makeRecord({ idleExpiresAt: t0 + MINUTE }, t0)
          const long = makeRecord({}, t0)
          await store.insertSession(short)
          await store.insertSession(long)
          await store.insertLink(randomId(), makeLink(short))
          await store.insertLink(randomId(), makeLink(long))
          await store.insertLink(randomId(), makeLink(long, { expiresAt: t0 + 2 * MINUTE }))
          await store.consumeNonce(randomId(), t0 + MINUTE)
          await store.consumeNonce(randomId(), t0 + HOUR)
          assert.deepEqual(await store.count(t0), { sessions: 2, links: 3, nonces: 2 })
          assert.deepEqual(await store.count(t0 + MINUTE), { sessions: 1, links: 2, nonces: 1 })
          assert.deepEqual(await store.count(t0 + 2 * MINUTE), { sessions: 1, links: 1, nonces: 1 })
          assert.deepEqual(await store.count(long.absoluteExpiresAt), { sessions: 0, links: 0, nonces: 0 })
        }))

      test('sweep keeps everything live and leaves nothing expired visible', () =>
        withStore(async (store) => {
          const t0 = Date.now()
          const short = makeRecord({ idleExpiresAt: t0 + MINUTE, data: { a: '1' } }, t0)
          const long = makeRecord({ user: alice, data: { b: '2' } }, t0)
          await store.insertSession(short)
          await store.insertSession(long)
          const shortLink = randomId()
          const longLink = randomId()
          await store.insertLink(shortLink, makeLink(short))
          await store.insertLink(longLink, makeLink(long))
          const nonce = randomId()
          await store.consumeNonce(nonce, t0 + HOUR)
          const later = t0 + 2 * MINUTE
          await store.sweep(later)
          assert.deepEqual(await store.count(later), { sessions: 1, links: 1, nonces: 1 })
          assert.equal(await store.getSession(short.id, later), null)
          assert.equal(await store.resolveLink(shortLink, later), null)
          assert.deepEqual(await store.resolveLink(longLink, later), { link: makeLink(long), session: long })
          assert.deepEqual(await store.listUserSessions(alice.sub, later), [long])
          assert.equal(await store.consumeNonce(nonce, t0 + HOUR), false)
        }))
    })
  })
}
