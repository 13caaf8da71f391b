import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { createHub, type Hub } from '../../src/hub/create-hub.js'
import { createRedisStore } from '../../src/stores/redis/index.js'
import { createSqliteStore } from '../../src/stores/sqlite/index.js'
import type { SessionStore, SessionUser } from '../../src/stores/store.js'
import type { UserDirectory } from '../../src/users/directory.js'
import { formField } from '../helpers/http.js'
import { testRing } from '../helpers/keys.js'
import { deleteRedisPrefix, REDIS_URL } from '../helpers/stores.js'

// The sign-in limits hold across hub instances that share a store (issue 9, finding 4): each instance
// here has its own store client (its own Redis connection, its own SQLite connection to one file), as
// two processes behind a load balancer would.

const ORIGIN = 'https://auth.acme.localhost:4000'
const PASSWORD = 'wonderland'
const WINDOW = 15 * 60_000

/** Two stores, one backend: what two hub processes open from one configuration. */
interface SharedBackend {
  stores: [SessionStore, SessionStore]
  cleanup(): Promise<void>
}

const BACKENDS: Record<string, () => Promise<SharedBackend>> = {
  async redis() {
    const prefix = `sstest:${randomBytes(6).toString('hex')}:`
    const stores: [SessionStore, SessionStore] = [createRedisStore({ url: REDIS_URL, prefix }), createRedisStore({ url: REDIS_URL, prefix })]
    return {
      stores,
      async cleanup() {
        await deleteRedisPrefix(prefix)
        await Promise.all(stores.map((s) => s.close()))
      },
    }
  },
  async sqlite() {
    const dir = mkdtempSync(join(tmpdir(), 'ss-limits-'))
    const path = join(dir, 'sessions.sqlite')
    const stores: [SessionStore, SessionStore] = [createSqliteStore({ path }), createSqliteStore({ path })]
    return {
      stores,
      async cleanup() {
        await Promise.all(stores.map((s) => s.close()))
        rmSync(dir, { recursive: true, force: true })
      },
    }
  },
}

/** Anyone whose password is `wonderland`, counting how often the (slow) check ran. */
function countingUsers(delayMs = 0): { users: UserDirectory; calls: () => number } {
  let calls = 0
  return {
    calls: () => calls,
    users: {
      async authenticate(username, password) {
        calls++
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
        return password === PASSWORD ? ({ sub: `u-${username}`, username } satisfies SessionUser) : null
      },
    },
  }
}

interface Instances {
  hubs: [Hub, Hub]
  calls: () => number
  clock: { now: number }
}

/** Two hubs (createHub twice) on one backend, with the default limits unless told otherwise. */
async function withTwoHubs(kind: string, run: (i: Instances) => Promise<void>, options: { delayMs?: number } = {}): Promise<void> {
  const backend = await BACKENDS[kind]!()
  try {
    const counted = countingUsers(options.delayMs)
    const clock = { now: Date.now() }
    const keys = await testRing()
    const make = (store: SessionStore) => createHub({ origin: ORIGIN, keys, store, users: counted.users, now: () => clock.now })
    await run({ hubs: [make(backend.stores[0]), make(backend.stores[1])], calls: counted.calls, clock })
  } finally {
    await backend.cleanup()
  }
}

/** One sign-in through the real form of `hub`, from `address`; the response. */
async function signIn(hub: Hub, username: string, password: string, address: string): Promise<Response> {
  const form = await hub.fetch(new Request(`${ORIGIN}/login`), { clientAddress: address })
  const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  const body = new URLSearchParams({ csrf: formField(await form.text(), 'csrf'), username, password })
  return hub.fetch(
    new Request(`${ORIGIN}/login`, { method: 'POST', headers: { origin: ORIGIN, cookie, 'content-type': 'application/x-www-form-urlencoded' }, body }),
    { clientAddress: address },
  )
}

const status = async (response: Promise<Response>): Promise<number> => (await response).status

/** A fresh account name and a fresh address per guess, so only the account limit is in play. */
const account = () => `alice-${randomBytes(4).toString('hex')}`
let addresses = 0
const nextAddress = () => `10.${(++addresses >> 16) & 255}.${(addresses >> 8) & 255}.${addresses & 255}`

for (const kind of Object.keys(BACKENDS)) {
  describe(`sign-in limits shared by two hub instances on one ${kind} store`, () => {
    test('guesses spread over both instances are refused after 5 per account, even the right password, until the window ends', () =>
      withTwoHubs(kind, async ({ hubs, calls, clock }) => {
        const name = account()
        for (let i = 0; i < 5; i++) assert.equal(await status(signIn(hubs[i % 2]!, name, `guess-${i}`, nextAddress())), 401, `guess ${i + 1}`)
        const refused = await signIn(hubs[1], name, `guess-5`, nextAddress())
        assert.equal(refused.status, 429)
        assert.equal(refused.headers.get('x-error-code'), 'ERR_RATE_LIMITED')
        const retryAfter = Number(refused.headers.get('retry-after'))
        assert.ok(retryAfter > 0 && retryAfter <= WINDOW / 1000, `retry-after ${retryAfter}`)
        for (const hub of hubs) assert.equal(await status(signIn(hub, name, PASSWORD, nextAddress())), 429, 'the right password after the limit')
        assert.equal(calls(), 5, 'no password was checked after the limit')
        clock.now += WINDOW
        assert.equal(await status(signIn(hubs[0], name, PASSWORD, nextAddress())), 303, 'the limit lifts with its window')
      }))

    test('a success on one instance resets the account on the other', () =>
      withTwoHubs(kind, async ({ hubs }) => {
        const name = account()
        for (let i = 0; i < 4; i++) assert.equal(await status(signIn(hubs[1], name, `guess-${i}`, nextAddress())), 401)
        assert.equal(await status(signIn(hubs[0], name, PASSWORD, nextAddress())), 303)
        for (let i = 0; i < 5; i++) assert.equal(await status(signIn(hubs[1], name, `again-${i}`, nextAddress())), 401, `guess ${i + 1} after the reset`)
        assert.equal(await status(signIn(hubs[0], name, `again-5`, nextAddress())), 429)
      }))

    test('20 failures per address across both instances, then 429 for any account from it; a success is forgiven', () =>
      withTwoHubs(kind, async ({ hubs }) => {
        const address = nextAddress()
        for (let i = 0; i < 3; i++) assert.equal(await status(signIn(hubs[i % 2]!, account(), PASSWORD, address)), 303, 'successes count nothing')
        for (let i = 0; i < 20; i++) assert.equal(await status(signIn(hubs[i % 2]!, account(), 'wrong', address)), 401, `failure ${i + 1}`)
        for (const hub of hubs) assert.equal(await status(signIn(hub, account(), PASSWORD, address)), 429)
        assert.equal(await status(signIn(hubs[0], account(), PASSWORD, nextAddress())), 303, 'another address is not limited')
      }))

    test('30 guesses at once, half to each instance: exactly 5 are evaluated, 25 get 429', () =>
      withTwoHubs(
        kind,
        async ({ hubs, calls }) => {
          const name = account()
          const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => status(signIn(hubs[i % 2]!, name, `guess-${i}`, nextAddress()))))
          assert.equal(calls(), 5)
          assert.equal(statuses.filter((s) => s === 401).length, 5)
          assert.equal(statuses.filter((s) => s === 429).length, 25)
        },
        { delayMs: 20 },
      ))
  })
}
