import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { makeRecord, randomId, runStoreContract } from './contract.js'

runStoreContract('memory', async () => ({ store: createMemoryStore(), cleanup: async () => {} }))

test('memory: sweep really forgets expired records', async () => {
  const store = createMemoryStore()
  const t0 = Date.now()
  const short = makeRecord({ idleExpiresAt: t0 + 1000 }, t0)
  await store.insertSession(short)
  await store.insertLink(randomId(), { sessionId: short.id, site: 'shop', via: 'new', createdAt: t0, expiresAt: short.absoluteExpiresAt })
  await store.consumeNonce(randomId(), t0 + 1000)
  await store.sweep(t0 + 1000)
  assert.deepEqual(await store.count(t0), { sessions: 0, links: 0, nonces: 0 })
})

test('memory: sweeps by itself at most once per interval, on its own clock', async () => {
  let now = Date.now()
  const store = createMemoryStore({ clock: () => now, sweepIntervalMs: 60_000 })
  const t0 = now
  await store.insertSession(makeRecord({ idleExpiresAt: t0 + 1000 }, t0))
  now = t0 + 2000
  await store.insertSession(makeRecord({}, now)) // within the interval of the first sweep: nothing swept yet
  assert.equal((await store.count(t0)).sessions, 2)
  now = t0 + 61_000
  await store.consumeNonce(randomId(), now + 1000)
  assert.equal((await store.count(t0)).sessions, 1)
})

test('memory: a stored patch value is not shared with the caller’s object', async () => {
  const store = createMemoryStore()
  const record = makeRecord()
  await store.insertSession(record)
  const patch = { set: { a: '1' }, unset: [] as string[] }
  await store.patchSession(record.id, patch)
  patch.set.a = '2'
  assert.equal((await store.getSession(record.id, record.createdAt))?.data['a'], '1')
})
