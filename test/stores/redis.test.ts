import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { keyPart } from '../../src/stores/redis/codec.js'
import { isSharedSessionError } from '../../src/errors/shared-session-error.js'
import { createRedisStore } from '../../src/stores/redis/index.js'
import type { SessionStore } from '../../src/stores/store.js'
import { HOSTILE_STRINGS, makeRecord, randomId, runStoreContract } from './contract.js'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
// Unique per run, hex only (no glob characters), so parallel runs never see each other's keys.
const filePrefix = `sstest:${randomBytes(6).toString('hex')}:`
const admin = new Redis(url)
let stores = 0
const freshPrefix = (): string => `${filePrefix}${++stores}:`

async function keysUnder(prefix: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    found.push(...keys)
  } while (cursor !== '0')
  return found
}

async function deleteKeysUnder(prefix: string): Promise<void> {
  const keys = await keysUnder(prefix)
  for (let i = 0; i < keys.length; i += 500) await admin.del(...keys.slice(i, i + 500))
}

after(async () => {
  await deleteKeysUnder(filePrefix)
  await admin.quit()
})

runStoreContract('redis', async () => {
  const prefix = freshPrefix()
  const store = createRedisStore({ url, prefix })
  return {
    store,
    cleanup: async () => {
      await store.close()
      await deleteKeysUnder(prefix)
    },
  }
})

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)))
  })
  child.stdout!.resume()
  return child
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}

/** Settles `promise` and reports how long it took, so a test can bound a failure's latency. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const started = Date.now()
  const [result] = await Promise.allSettled([promise])
  return { ms: Date.now() - started, result: result! }
}

function assertUnavailable(result: PromiseSettledResult<unknown>, pattern: RegExp): void {
  assert.equal(result.status, 'rejected', 'the call should fail')
  const err = (result as PromiseRejectedResult).reason
  assert.ok(isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE'), String(err))
  assert.match(err.message, pattern)
  assert.ok(err.cause !== undefined)
}

describe('redis store', () => {
  test('two connections patching different keys of one session, interleaved, lose nothing', async () => {
    const prefix = freshPrefix()
    const [a, b] = [createRedisStore({ url, prefix }), createRedisStore({ url, prefix })]
    try {
      const record = makeRecord()
      await a.insertSession(record)
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => [
          a.patchSession(record.id, { set: { [`a${i}`]: String(i) }, unset: [] }),
          b.patchSession(record.id, { set: { [`b${i}`]: String(i) }, unset: [] }),
        ]).flat(),
      )
      assert.ok(results.every(Boolean))
      const data = (await b.getSession(record.id, Date.now()))?.data ?? {}
      assert.equal(Object.keys(data).length, 2000)
      for (let i = 0; i < 1000; i++) assert.ok(data[`a${i}`] === String(i) && data[`b${i}`] === String(i), `key ${i}`)
    } finally {
      await Promise.all([a.close(), b.close()])
      await deleteKeysUnder(prefix)
    }
  })

  test('hostile input creates no key at all', async () => {
    const prefix = freshPrefix()
    const store = createRedisStore({ url, prefix })
    try {
      const now = Date.now()
      const record = makeRecord({ user: { sub: 'u_1', username: 'one' } })
      await store.insertSession(record)
      await store.insertLink(randomId(), { sessionId: record.id, site: 'shop', via: 'new', createdAt: now, expiresAt: record.absoluteExpiresAt })
      const before = (await keysUnder(prefix)).sort()
      for (const hostile of HOSTILE_STRINGS) {
        await store.resolveLink(hostile, now)
        await store.deleteLink(hostile)
        await store.patchSession(hostile, { set: { x: '1' }, unset: ['y'] })
        await store.touchSession(hostile, now, now + 1000)
        await store.deleteSession(hostile)
        await store.listUserSessions(hostile, now)
        await store.deleteUserSessions(hostile)
        await store.insertLink(hostile, { sessionId: hostile, site: 'shop', via: 'new', createdAt: now, expiresAt: now + 60_000 })
      }
      assert.deepEqual((await keysUnder(prefix)).sort(), before)
    } finally {
      await store.close()
      await deleteKeysUnder(prefix)
    }
  })

  test('a session is two keys whatever its links: reading it costs the same with 1 link or 500, and its links die with it', async () => {
    const prefix = freshPrefix()
    const store = createRedisStore({ url, prefix })
    try {
      const now = Date.now()
      const record = makeRecord({ data: { cart: '["teapot"]' } })
      await store.insertSession(record)
      const hashes = [randomId()]
      await store.insertLink(hashes[0]!, { sessionId: record.id, site: 'shop', via: 'new', createdAt: now, expiresAt: record.absoluteExpiresAt })
      const fieldsWithOne = await admin.hlen(`${prefix}s:${keyPart(record.id)}`)
      for (let i = 0; i < 500; i++) {
        hashes.push(randomId())
        await store.insertLink(hashes.at(-1)!, { sessionId: record.id, site: 'shop', via: 'push', createdAt: now, expiresAt: record.absoluteExpiresAt })
      }
      assert.equal(await admin.hlen(`${prefix}s:${keyPart(record.id)}`), fieldsWithOne)
      assert.equal((await keysUnder(prefix)).length, 1 + 501, 'one key for the session, one per link, nothing else')
      assert.equal(await store.deleteSession(record.id), true)
      for (const hash of hashes.slice(0, 20)) {
        assert.equal(await store.resolveLink(hash, now), null)
        assert.equal(await store.deleteLink(hash), false, 'a link of a deleted session logs nobody out')
      }
      assert.equal((await store.count(now)).links, 0)
      assert.ok((await admin.pexpiretime(`${prefix}l:${keyPart(hashes.at(-1)!)}`)) <= record.absoluteExpiresAt, 'the rest vanish by themselves, at the latest with the session')
    } finally {
      await store.close()
      await deleteKeysUnder(prefix)
    }
  })

  test('links round-trip in both encodings: the short one, and JSON for tabs and fractional times', async () => {
    const prefix = freshPrefix()
    const store = createRedisStore({ url, prefix })
    try {
      const now = Date.now()
      const record = makeRecord({ id: 'id\twith\ttabs' })
      await store.insertSession(record)
      const links = [
        { sessionId: record.id, site: 'shop', via: 'push' as const, createdAt: now, expiresAt: now + 60_000 },
        { sessionId: record.id, site: 'odd\tsite', via: 'pull' as const, createdAt: now, expiresAt: now + 60_000 },
        { sessionId: record.id, site: 'shop', via: 'login' as const, createdAt: now + 0.5, expiresAt: now + 60_000.25 },
      ]
      for (const link of links) {
        const hash = randomId()
        await store.insertLink(hash, link)
        assert.deepEqual(await store.resolveLink(hash, now), { link, session: record })
      }
      assert.match(String(await admin.get((await keysUnder(`${prefix}l:`))[0]!)), /^[0-9a-z]+\t|^\[/)
    } finally {
      await store.close()
      await deleteKeysUnder(prefix)
    }
  })

  test('compact layout: 22-character key names for the library’s ids, a link as long as its session stored without a lifetime, every via in one letter', async () => {
    const prefix = freshPrefix()
    const store = createRedisStore({ url, prefix })
    try {
      const now = Date.now()
      const record = makeRecord({ data: { cart: '["teapot"]' } })
      await store.insertSession(record)
      assert.equal(await admin.exists(`${prefix}s:${record.id.slice(0, 22)}`), 1)
      for (const via of ['new', 'push', 'pull', 'login', 'token'] as const) {
        const hash = randomId()
        const link = { sessionId: record.id, site: 'shop', via, createdAt: now, expiresAt: record.absoluteExpiresAt }
        await store.insertLink(hash, link)
        const stored = String(await admin.get(`${prefix}l:${hash.slice(0, 22)}`))
        assert.equal(stored, `${via === 'pull' ? 'q' : via[0]}${now.toString(36)}\t\tshop\t${record.id}`)
        assert.deepEqual(await store.resolveLink(hash, now), { link, session: record })
      }
      // Two ids of another shape that agree on their first 22 characters stay apart (keyed whole).
      const [a, b] = [makeRecord({ id: `${'x'.repeat(22)}-one` }), makeRecord({ id: `${'x'.repeat(22)}-two` })]
      await store.insertSession(a)
      await store.insertSession(b)
      assert.equal((await store.getSession(a.id, now))?.id, a.id)
      assert.equal(await store.deleteSession(b.id), true)
      assert.notEqual(await store.getSession(a.id, now), null)
    } finally {
      await store.close()
      await deleteKeysUnder(prefix)
    }
  })

  test('scripts work again after the server forgot them (SCRIPT FLUSH: EVAL once, then EVALSHA)', async () => {
    const prefix = freshPrefix()
    const store = createRedisStore({ url, prefix })
    try {
      const now = Date.now()
      const record = makeRecord()
      await store.insertSession(record)
      await admin.script('FLUSH')
      assert.equal(await store.patchSession(record.id, { set: { cart: '[1]' }, unset: [] }), true)
      assert.equal(await store.patchSession(record.id, { set: { cart: '[2]' }, unset: [] }), true)
      assert.equal((await store.getSession(record.id, now))?.data.cart, '[2]')
    } finally {
      await store.close()
      await deleteKeysUnder(prefix)
    }
  })

  test('keys carry native expiry: a session at min(idle, absolute), moved by touch; a link at its own', async () => {
    const prefix = freshPrefix()
    const store = createRedisStore({ url, prefix })
    try {
      const t0 = Date.now()
      const record = makeRecord({ user: { sub: 'u_ttl', username: 'ttl' } }, t0)
      await store.insertSession(record)
      const hash = randomId()
      await store.insertLink(hash, { sessionId: record.id, site: 'shop', via: 'new', createdAt: t0, expiresAt: t0 + 600_000 })
      assert.equal(await admin.pexpiretime(`${prefix}s:${keyPart(record.id)}`), record.idleExpiresAt)
      assert.equal(await admin.pexpiretime(`${prefix}l:${keyPart(hash)}`), t0 + 600_000)
      const longer = randomId()
      await store.insertLink(longer, { sessionId: record.id, site: 'shop', via: 'new', createdAt: t0, expiresAt: record.absoluteExpiresAt + 600_000 })
      assert.equal(await admin.pexpiretime(`${prefix}l:${keyPart(longer)}`), record.absoluteExpiresAt, 'a link never outlives its session')
      assert.equal((await store.resolveLink(longer, t0))?.link.expiresAt, record.absoluteExpiresAt + 600_000, 'and still reads back as written')
      assert.equal(await admin.pexpiretime(`${prefix}u:u_ttl`), record.absoluteExpiresAt)
      await store.touchSession(record.id, t0 + 1, record.absoluteExpiresAt + 1)
      assert.equal(await admin.pexpiretime(`${prefix}s:${keyPart(record.id)}`), record.absoluteExpiresAt, 'never past the absolute expiry')
      await store.consumeNonce('n1', t0 + 300_000)
      assert.equal(await admin.pexpiretime(`${prefix}n:n1`), t0 + 300_000)
    } finally {
      await store.close()
      await deleteKeysUnder(prefix)
    }
  })

  test('expired keys vanish from Redis by themselves (sweep has nothing to do)', async () => {
    const prefix = freshPrefix()
    const store = createRedisStore({ url, prefix })
    try {
      const t0 = Date.now()
      const record = makeRecord({ idleExpiresAt: t0 + 100, user: { sub: 'u_gone', username: 'gone' } }, t0)
      await store.insertSession(record)
      await store.insertLink(randomId(), { sessionId: record.id, site: 'shop', via: 'new', createdAt: t0, expiresAt: t0 + 100 })
      await store.consumeNonce(randomId(), t0 + 100)
      await sleep(200)
      assert.deepEqual(await store.listUserSessions('u_gone', Date.now()), [])
      assert.deepEqual(await keysUnder(prefix), [])
    } finally {
      await store.close()
      await deleteKeysUnder(prefix)
    }
  })

  test('a client passed in is used and left open on close()', async () => {
    const prefix = freshPrefix()
    const client = new Redis(url, { enableOfflineQueue: false, lazyConnect: true })
    const store = createRedisStore({ client, prefix })
    try {
      const record = makeRecord()
      await store.insertSession(record)
      assert.equal(await client.exists(`${prefix}s:${keyPart(record.id)}`), 1)
      await store.close()
      assert.equal(await client.ping(), 'PONG')
    } finally {
      await client.quit()
      await deleteKeysUnder(prefix)
    }
  })

  test('bad options fail at start-up with ERR_CONFIG_INVALID', () => {
    for (const options of [{ url: 'http://localhost:6379' }, { commandTimeoutMs: 0 }, { connectTimeoutMs: Number.NaN }]) {
      assert.throws(() => createRedisStore(options), (err: unknown) => isSharedSessionError(err, 'ERR_CONFIG_INVALID'))
    }
  })

  test('nothing listening: calls fail with ERR_STORE_UNAVAILABLE within bounded time, quietly', async (t) => {
    const consoleError = t.mock.method(console, 'error', () => {})
    const port = await freePort()
    const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, prefix: freshPrefix() })
    try {
      const first = await timed(store.getSession(randomId(), Date.now()))
      assertUnavailable(first.result, /^redis store unavailable during getSession: .*ECONNREFUSED.* — is the server running\?$/)
      assert.ok(first.ms < 3000, `settled in ${first.ms} ms`)
      const again = await timed(Promise.all([store.consumeNonce(randomId(), Date.now() + 1000), store.count(Date.now())]))
      assertUnavailable(again.result, /ERR_STORE_UNAVAILABLE|unavailable during/)
      assert.ok(again.ms < 3000, `settled in ${again.ms} ms`)
    } finally {
      await store.close()
    }
    assert.equal(consoleError.mock.callCount(), 0, 'no "[ioredis] Unhandled error event" noise')
  })

  test('server frozen: a command times out with ERR_STORE_UNAVAILABLE, and works again once it answers', async () => {
    const port = await freePort()
    const server = await startRedis(port)
    const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 300 })
    try {
      await store.consumeNonce('before', Date.now() + 60_000)
      server.kill('SIGSTOP')
      const frozen = await timed(store.consumeNonce('during', Date.now() + 60_000))
      assertUnavailable(frozen.result, /Command timed out after 300 ms — the server did not answer in time/)
      assert.ok(frozen.ms < 300 + 1000, `settled in ${frozen.ms} ms`)
      server.kill('SIGCONT')
      assert.equal(await store.consumeNonce('after', Date.now() + 60_000), true)
    } finally {
      server.kill('SIGCONT')
      await store.close()
      await stopRedis(server)
    }
  })

  test('server killed: calls fail with ERR_STORE_UNAVAILABLE, then succeed by themselves once it is back', async (t) => {
    const consoleError = t.mock.method(console, 'error', () => {})
    const port = await freePort()
    let server = await startRedis(port)
    const store: SessionStore = createRedisStore({ url: `redis://127.0.0.1:${port}`, prefix: 'ss:' })
    try {
      const record = makeRecord()
      await store.insertSession(record)
      await stopRedis(server)

      const down = await timed(store.getSession(record.id, Date.now()))
      assertUnavailable(down.result, /^redis store unavailable during getSession: /)
      assert.ok(down.ms < 2000 + 1000, `settled in ${down.ms} ms (command timeout + 1 s)`)

      server = await startRedis(port)
      const deadline = Date.now() + 5000
      let recovered = false
      while (!recovered && Date.now() < deadline) {
        try {
          await store.insertSession(record)
          recovered = true
        } catch (err) {
          assert.ok(isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE'), String(err))
          await sleep(100)
        }
      }
      assert.ok(recovered, 'the store reconnected by itself within 5 s')
      assert.deepEqual(await store.getSession(record.id, record.createdAt), record)
    } finally {
      await store.close()
      await stopRedis(server)
    }
    assert.equal(consoleError.mock.callCount(), 0, 'no "[ioredis] Unhandled error event" noise')
  })
})

