import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, describe, test } from 'node:test'
import pg from 'pg'
import { isSharedSessionError } from '../../src/errors/shared-session-error.js'
import { createPostgresStore } from '../../src/stores/postgres/index.js'
import { POSTGRES_MIGRATIONS } from '../../src/stores/postgres/schema.js'
import { dropPostgresSchema, freshPostgresSchema, POSTGRES_URL, STORE_FACTORIES } from '../helpers/stores.js'
import { HOSTILE_STRINGS, makeRecord, randomId, runStoreContract } from './contract.js'

runStoreContract('postgres', STORE_FACTORIES.postgres)

const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 })
const schemas: string[] = []
function schema(): string {
  const name = freshPostgresSchema()
  schemas.push(name)
  return name
}
after(async () => {
  for (const name of schemas) await dropPostgresSchema(name)
  await admin.end()
})

async function rows(table: string, name: string): Promise<number> {
  return (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}".${table}`)).rows[0]!.n
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
  assert.equal(err.status, 503)
  assert.match(err.message, pattern)
  assert.ok(err.cause !== undefined)
}

/**
 * A TCP relay in front of the real server: closing it is the server going
 * away (connections cut, nothing listening), reopening it on the same port
 * is the server coming back, and `freeze` stops traffic like a hung host.
 */
async function relay(port = 0): Promise<{ port: number; down(): Promise<void>; up(): Promise<void>; freeze(on: boolean): void }> {
  const target = new URL(POSTGRES_URL)
  const sockets = new Set<Socket>()
  let frozen = false
  let server: Server
  const listen = async (at: number): Promise<number> => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname)
      for (const s of [client, upstream]) {
        sockets.add(s)
        s.on('error', () => {})
        s.on('close', () => sockets.delete(s))
      }
      const pipe = (from: Socket, to: Socket): void => {
        from.on('data', (chunk) => {
          if (!frozen) to.write(chunk)
        })
        from.on('close', () => to.destroy())
      }
      pipe(client, upstream)
      pipe(upstream, client)
    })
    server.listen(at, '127.0.0.1')
    await once(server, 'listening')
    return (server.address() as { port: number }).port
  }
  const bound = await listen(port)
  return {
    port: bound,
    async down() {
      for (const s of sockets) s.destroy()
      server.close()
      await once(server, 'close')
    },
    async up() {
      await listen(bound)
    },
    freeze(on) {
      frozen = on
    },
  }
}

function urlVia(port: number): string {
  const url = new URL(POSTGRES_URL)
  url.port = String(port)
  return url.href
}

describe('postgres store', () => {
  test('two pools patching different keys of one session, interleaved, lose nothing', async () => {
    const name = schema()
    // Every patch waits for the row lock in turn: on a busy machine a queued call may wait longer than the default 2 s.
    const options = { url: POSTGRES_URL, schema: name, connectTimeoutMs: 20_000, commandTimeoutMs: 20_000 }
    const [a, b] = [createPostgresStore(options), createPostgresStore(options)]
    try {
      const record = makeRecord()
      await a.insertSession(record)
      const results = await Promise.all(
        Array.from({ length: 300 }, (_, i) => [
          a.patchSession(record.id, { set: { [`a${i}`]: String(i) }, unset: [] }),
          b.patchSession(record.id, { set: { [`b${i}`]: String(i) }, unset: [] }),
        ]).flat(),
      )
      assert.ok(results.every(Boolean))
      const data = (await b.getSession(record.id, Date.now()))?.data ?? {}
      assert.equal(Object.keys(data).length, 600)
      for (let i = 0; i < 300; i++) assert.ok(data[`a${i}`] === String(i) && data[`b${i}`] === String(i), `key ${i}`)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  test('20 parallel replays of one nonce through 5 separate pools: exactly one wins', async () => {
    const name = schema()
    const stores = Array.from({ length: 5 }, () => createPostgresStore({ url: POSTGRES_URL, schema: name }))
    try {
      await Promise.all(stores.map((s) => s.count(Date.now()))) // schema made, connections warm
      const nonce = randomId()
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 5]!.consumeNonce(nonce, Date.now() + 60_000)))
      assert.equal(results.filter(Boolean).length, 1)
    } finally {
      await Promise.all(stores.map((s) => s.close()))
    }
  })

  test('the schema is created on first use, once, even by six stores starting at the same moment', async () => {
    const name = schema()
    const stores = Array.from({ length: 6 }, () => createPostgresStore({ url: POSTGRES_URL, schema: name }))
    try {
      const records = stores.map(() => makeRecord())
      await Promise.all(stores.map((s, i) => s.insertSession(records[i]!)))
      assert.equal(await rows('sessions', name), 6)
      const version = await admin.query<{ version: number }>(`SELECT version FROM "${name}".schema_version`)
      assert.deepEqual(version.rows, [{ version: POSTGRES_MIGRATIONS.length }])
      const reopened = createPostgresStore({ url: POSTGRES_URL, schema: name })
      assert.deepEqual(await reopened.getSession(records[0]!.id, Date.now()), records[0], 'a later store finds the data; migrations do not run twice')
      await reopened.close()
    } finally {
      await Promise.all(stores.map((s) => s.close()))
    }
  })

  test('a schema from a newer shared-session is refused with ERR_CONFIG_INVALID', async () => {
    const name = schema()
    await admin.query(`CREATE SCHEMA "${name}"`)
    await admin.query(`CREATE TABLE "${name}".schema_version (version integer NOT NULL)`)
    await admin.query(`INSERT INTO "${name}".schema_version VALUES ($1)`, [POSTGRES_MIGRATIONS.length + 1])
    const store = createPostgresStore({ url: POSTGRES_URL, schema: name })
    try {
      await assert.rejects(store.getSession(randomId(), Date.now()), (err: unknown) => isSharedSessionError(err, 'ERR_CONFIG_INVALID') && /newer/.test(err.message))
    } finally {
      await store.close()
    }
  })

  test('hostile input writes no row at all', async () => {
    const name = schema()
    const store = createPostgresStore({ url: POSTGRES_URL, schema: name })
    try {
      const now = Date.now()
      const record = makeRecord({ user: { sub: 'u_1', username: 'one' } })
      await store.insertSession(record)
      await store.insertLink(randomId(), { sessionId: record.id, site: 'shop', via: 'new', createdAt: now, expiresAt: record.absoluteExpiresAt })
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
      assert.deepEqual([await rows('sessions', name), await rows('links', name), await rows('nonces', name)], [1, 1, 0])
    } finally {
      await store.close()
    }
  })

  test('NUL and the escape character survive in ids, keys and values, and stay distinct', async () => {
    const store = createPostgresStore({ url: POSTGRES_URL, schema: schema() })
    try {
      const record = makeRecord({ id: 'a\u0000b', data: { 'k\u0000': 'v\u0000', 'k\u00010': 'w', '\u0001': '\u0001\u0001' } })
      await store.insertSession(record)
      assert.deepEqual(await store.getSession('a\u0000b', Date.now()), record)
      assert.equal(await store.getSession('a\u00010b', Date.now()), null, 'the escaped form is not an alias')
      assert.equal(await store.consumeNonce('\u0000', Date.now() + 60_000), true)
      assert.equal(await store.consumeNonce('\u00010', Date.now() + 60_000), true)
      assert.equal(await store.consumeNonce('\u0000', Date.now() + 60_000), false)
    } finally {
      await store.close()
    }
  })

  test('sweep deletes expired rows from the tables; the background purge is bounded per table', async () => {
    const name = schema()
    const store = createPostgresStore({ url: POSTGRES_URL, schema: name, sweepIntervalMs: 0 })
    try {
      const t0 = Date.now()
      const long = makeRecord({}, t0)
      await store.insertSession(long)
      for (let i = 0; i < 5; i++) {
        const short = makeRecord({ idleExpiresAt: t0 + 1000 }, t0)
        await store.insertSession(short)
        await store.insertLink(randomId(), { sessionId: short.id, site: 'shop', via: 'new', createdAt: t0, expiresAt: short.absoluteExpiresAt })
        await store.insertLink(randomId(), { sessionId: long.id, site: 'shop', via: 'new', createdAt: t0, expiresAt: t0 + 1000 })
        await store.consumeNonce(randomId(), t0 + 1000)
      }
      assert.deepEqual([await rows('sessions', name), await rows('links', name), await rows('nonces', name)], [6, 10, 5])
      await store.sweep(t0 + 1000)
      assert.deepEqual([await rows('sessions', name), await rows('links', name), await rows('nonces', name)], [1, 0, 0])
    } finally {
      await store.close()
    }

    const bounded = createPostgresStore({ url: POSTGRES_URL, schema: name, sweepIntervalMs: 1, sweepBatch: 2 })
    try {
      for (let i = 0; i < 5; i++) await admin.query(`INSERT INTO "${name}".nonces VALUES ($1, 1)`, [`old${i}`])
      await sleep(5)
      await bounded.consumeNonce(randomId(), Date.now() + 60_000) // starts one purge of at most 2 rows
      let left = 5
      for (let i = 0; i < 50 && left === 5; i++) {
        await sleep(20)
        left = (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}".nonces WHERE expires = 1`)).rows[0]!.n
      }
      assert.equal(left, 3, 'one background purge removed two expired nonces, no more')
    } finally {
      await bounded.close()
    }
  })

  test('bad options fail at start-up with ERR_CONFIG_INVALID', () => {
    for (const options of [
      { url: 'mysql://localhost/x' },
      { schema: 'bad"name' },
      { schema: 'x; DROP TABLE y' },
      { schema: '' },
      { commandTimeoutMs: 0 },
      { connectTimeoutMs: Number.NaN },
      { maxConnections: 0 },
      { sweepBatch: 0 },
    ]) {
      assert.throws(() => createPostgresStore(options), (err: unknown) => isSharedSessionError(err, 'ERR_CONFIG_INVALID'), JSON.stringify(options))
    }
  })

  test('nothing listening: calls fail with ERR_STORE_UNAVAILABLE within bounded time', async () => {
    const gone = await relay()
    await gone.down()
    const store = createPostgresStore({ url: urlVia(gone.port), schema: schema(), connectTimeoutMs: 500 })
    try {
      const first = await timed(store.getSession(randomId(), Date.now()))
      assertUnavailable(first.result, /^postgres store unavailable during getSession: .*ECONNREFUSED.* — is the server running\?$/)
      assert.ok(first.ms < 1500, `settled in ${first.ms} ms`)
      const again = await timed(store.consumeNonce(randomId(), Date.now() + 1000))
      assertUnavailable(again.result, /during consumeNonce/)
    } finally {
      await store.close()
    }
  })

  test('connections killed by the server (pg_terminate_backend): at most a 503, then it works again by itself', async () => {
    const name = schema()
    const store = createPostgresStore({ url: POSTGRES_URL, schema: name })
    try {
      const record = makeRecord({ data: { a: '1' } })
      await store.insertSession(record)
      await Promise.all(Array.from({ length: 5 }, () => store.getSession(record.id, Date.now()))) // several pooled connections
      const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`shared-session:${name}`])
      assert.ok(killed.rowCount! >= 1, 'the store had connections to kill')
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => store.getSession(record.id, Date.now())))
      for (const result of results) if (result.status === 'rejected') assertUnavailable(result, /postgres store unavailable during getSession/)
      assert.deepEqual(await store.getSession(record.id, Date.now()), record, 'recovered with no action')
    } finally {
      await store.close()
    }
  })

  test('server away: 503 within bounded time; back on the same address: the store recovers by itself', async () => {
    const net = await relay()
    const store = createPostgresStore({ url: urlVia(net.port), schema: schema(), connectTimeoutMs: 500, commandTimeoutMs: 500 })
    try {
      const record = makeRecord()
      await store.insertSession(record)
      await net.down()
      const down = await timed(store.getSession(record.id, Date.now()))
      assertUnavailable(down.result, /postgres store unavailable during getSession/)
      assert.ok(down.ms < 1500, `settled in ${down.ms} ms`)

      await net.up()
      assert.deepEqual(await store.getSession(record.id, record.createdAt), record)
      assert.equal(await store.patchSession(record.id, { set: { back: 'true' }, unset: [] }), true)
    } finally {
      await net.down().catch(() => undefined)
      await store.close()
    }
  })

  test('server hung: a query times out with ERR_STORE_UNAVAILABLE, and works again once it answers', async () => {
    const net = await relay()
    const store = createPostgresStore({ url: urlVia(net.port), schema: schema(), connectTimeoutMs: 500, commandTimeoutMs: 300 })
    try {
      await store.consumeNonce('before', Date.now() + 60_000)
      net.freeze(true)
      const frozen = await timed(store.consumeNonce('during', Date.now() + 60_000))
      assertUnavailable(frozen.result, /postgres store unavailable during consumeNonce: .*(timeout|timed out)/i)
      assert.ok(frozen.ms < 1500, `settled in ${frozen.ms} ms`)
      net.freeze(false)
      // It recovers by itself: on a loaded machine the first query after the thaw may still miss the 300 ms
      // budget (the hung connection is replaced), so each try gets a fresh nonce, for at most 5 s.
      assert.equal(await recovered(() => store.consumeNonce(`after-${randomId()}`, Date.now() + 60_000), 5000), true)
    } finally {
      await net.down().catch(() => undefined)
      await store.close()
    }
  })

  test('calls after close fail with ERR_STORE_UNAVAILABLE', async () => {
    const store = createPostgresStore({ url: POSTGRES_URL, schema: schema() })
    await store.count(Date.now())
    await store.close()
    await store.close()
    await assert.rejects(store.getSession(randomId(), Date.now()), (err: unknown) => isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE'))
  })
})

/** The first answer of `call` that is not ERR_STORE_UNAVAILABLE, retried for up to `withinMs`. */
async function recovered<T>(call: () => Promise<T>, withinMs: number): Promise<T> {
  const end = Date.now() + withinMs
  for (;;) {
    try {
      return await call()
    } catch (err) {
      if (!isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE') || Date.now() > end) throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
