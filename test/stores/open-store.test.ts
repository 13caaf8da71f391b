import assert from 'node:assert/strict'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import pg from 'pg'
import { keyPart } from '../../src/stores/redis/codec.js'
import { checkStoreSetting, describeStore, openStore, type StoreSetting } from '../../src/config/open-store.js'
import { isSharedSessionError } from '../../src/errors/shared-session-error.js'
import type { SessionStore } from '../../src/stores/store.js'
import { deleteRedisClusterPrefix, deleteRedisPrefix, dropPostgresSchema, freshPostgresSchema, POSTGRES_URL, REDIS_CLUSTER_URL, REDIS_URL } from '../helpers/stores.js'
import { makeRecord } from './contract.js'

const dir = mkdtempSync(join(tmpdir(), 'ss-open-store-'))
const hex = randomBytes(5).toString('hex')
const cleanups: (() => Promise<unknown>)[] = []
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
  rmSync(dir, { recursive: true, force: true })
})

async function roundTrip(store: SessionStore): Promise<string> {
  const record = makeRecord({ data: { a: '1' } })
  await store.insertSession(record)
  assert.deepEqual(await store.getSession(record.id, record.createdAt), record)
  return record.id
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

function unavailable(pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE'), String(err))
    assert.match(err.message, pattern)
    return true
  }
}

function configInvalid(pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(isSharedSessionError(err, 'ERR_CONFIG_INVALID'), String(err))
    assert.match(err.message, pattern)
    return true
  }
}

describe('openStore: a URL, or a URL plus options', () => {
  test('sqlite:<path> and memory: open their stores', async () => {
    for (const setting of [`sqlite:${join(dir, 'nested', 'sessions.sqlite')}`, { url: 'memory:' }]) {
      const store = await openStore(setting)
      assert.equal(store.kind, typeof setting === 'string' ? 'sqlite' : 'memory')
      await roundTrip(store)
      await store.close()
    }
  })

  test('Redis: the prefix and database from the options, or from the URL, decide where keys land', async () => {
    const admin = new Redis(REDIS_URL.replace(/\/\d*$/, '') + '/3')
    const viaOptions = `sstest:open:${hex}:a:`
    const viaUrl = `sstest:open:${hex}:b:`
    cleanups.push(() => admin.quit(), async () => {
      for (const prefix of [viaOptions, viaUrl]) for (const key of await admin.keys(`${prefix}*`)) await admin.del(key)
    })
    const a = await openStore({ url: REDIS_URL, prefix: viaOptions, database: 3 })
    const idA = await roundTrip(a)
    assert.equal(await admin.exists(`${viaOptions}s:${keyPart(idA)}`), 1, 'database 3, under the configured prefix')
    await a.close()

    const b = await openStore(`${REDIS_URL.replace(/\/\d*$/, '')}/3?prefix=${encodeURIComponent(viaUrl)}`)
    const idB = await roundTrip(b)
    assert.equal(await admin.exists(`${viaUrl}s:${keyPart(idB)}`), 1)
    await b.close()

    const both = await openStore({ url: `${REDIS_URL}?prefix=ignored:`, prefix: `sstest:open:${hex}:c:` })
    const idC = await roundTrip(both)
    await both.close()
    cleanups.push(() => deleteRedisPrefix(`sstest:open:${hex}:c:`))
    const single = new Redis(REDIS_URL)
    assert.equal(await single.exists(`sstest:open:${hex}:c:s:${keyPart(idC)}`), 1, 'the explicit prefix wins over the URL’s')
    await single.quit()
  })

  test('Redis Cluster: a redis-cluster:// URL with ?prefix=, or nodes', async () => {
    const prefix = `sstest:open:${hex}:cl:`
    cleanups.push(() => deleteRedisClusterPrefix(prefix))
    const viaUrl = await openStore(`${REDIS_CLUSTER_URL}?prefix=${encodeURIComponent(prefix)}`)
    const id = await roundTrip(viaUrl)
    await viaUrl.close()
    const nodes = REDIS_CLUSTER_URL.replace(/^redis-cluster:\/\//, '').split(',')
    const viaNodes = await openStore({ nodes, prefix })
    assert.notEqual(await viaNodes.getSession(id, Date.now()), null, 'the same keys, reached through the node list')
    await viaNodes.close()
  })

  test('PostgreSQL: a postgres:// URL with a schema (option or ?schema=)', async () => {
    const [s1, s2] = [freshPostgresSchema(), freshPostgresSchema()]
    cleanups.push(() => dropPostgresSchema(s1), () => dropPostgresSchema(s2))
    const a = await openStore({ url: POSTGRES_URL, schema: s1 })
    assert.equal(a.kind, 'postgres')
    await roundTrip(a)
    await a.close()
    const b = await openStore(`${POSTGRES_URL}?schema=${s2}`)
    await roundTrip(b)
    await b.close()
    const admin = new pg.Client({ connectionString: POSTGRES_URL })
    await admin.connect()
    const { rows } = await admin.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY($1) ORDER BY nspname', [[s1, s2]])
    await admin.end()
    assert.deepEqual(rows.map((r) => r.nspname), [s1, s2].sort())
  })

  test('PostgreSQL: a user that does not exist is a clear 503', async () => {
    const store = await openStore({ url: POSTGRES_URL, schema: freshPostgresSchema(), username: `nobody_${hex}` })
    await assert.rejects(store.count(Date.now()), unavailable(/postgres store unavailable during count: .*nobody_/))
    await store.close()
  })

  test('bad settings fail before any connection, saying what to change', () => {
    const cases: [StoreSetting, RegExp][] = [
      ['mysql://db/x', /is not one of sqlite:<path>/],
      ['sqlite:', /needs a path/],
      [{ url: 'sqlite:x.sqlite', prefix: 'a:' }, /"prefix" does not apply to a sqlite store/],
      [{ url: POSTGRES_URL, database: 2 }, /"database" does not apply to a postgres store/],
      [{ url: REDIS_URL, prefx: 'a:' } as StoreSetting, /unknown field "prefx"/],
      [{ url: REDIS_URL, database: -1 }, /"database" must be a whole number/],
      [{ url: `${POSTGRES_URL}?sslmode=require`, tls: true }, /either as sslmode in the URL or as "tls"/],
      [{ url: REDIS_URL, tls: { caFle: 'x' } as never }, /unknown tls field "caFle"/],
      [{ prefix: 'a:' }, /set "url"/],
      [42 as never, /must be a URL/],
    ]
    for (const [setting, message] of cases) assert.throws(() => checkStoreSetting(setting), configInvalid(message), JSON.stringify(setting))
    assert.equal(checkStoreSetting({ url: REDIS_CLUSTER_URL, prefix: 'a:' }), 'redis')
    assert.equal(checkStoreSetting({ nodes: ['127.0.0.1:7001'] }), 'redis')
    assert.equal(checkStoreSetting(`${POSTGRES_URL}?schema=x`), 'postgres')
  })

  test('openStore refuses a bad setting with ERR_CONFIG_INVALID, and a missing CA file by name', async () => {
    await assert.rejects(openStore('redis-cluster://nohost:notaport'), configInvalid(/redis-cluster:\/\/host:7001/))
    await assert.rejects(openStore({ url: 'rediss://127.0.0.1:6380', tls: { caFile: join(dir, 'missing-ca.pem') } }), configInvalid(/cannot read tls.caFile .*missing-ca\.pem/))
    await assert.rejects(openStore({ url: POSTGRES_URL, schema: 'no-dashes' }), configInvalid(/schema/))
  })

  test('describeStore never shows a password', () => {
    assert.equal(describeStore('redis://app:s3cret@redis:6379/2'), 'redis://app:***@redis:6379/2')
    assert.equal(describeStore('postgres://app:pa%40ss@db/app'), 'postgres://app:***@db/app')
    assert.equal(
      describeStore({ url: 'rediss://redis:6380', prefix: 'acme:', username: 'shop', password: 's3cret', tls: { caFile: '/ca.pem' } }),
      'rediss://redis:6380 (prefix acme:, user shop, tls)',
    )
    assert.doesNotMatch(describeStore({ nodes: ['a:1', 'b:2'], password: 's3cret' }), /s3cret/)
  })
})

describe('openStore: Redis over TLS with an ACL user', () => {
  let server: ChildProcess
  let port: number
  const certs = join(dir, 'tls')

  before(async () => {
    execFileSync('mkdir', ['-p', certs])
    const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' })
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=shared-session test CA')
    ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost')
    writeFileSync(join(certs, 'ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1')
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext')
    port = await freePort()
    server = spawn(
      'redis-server',
      ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', 'server.pem', '--tls-key-file', 'server.key',
        '--tls-ca-cert-file', 'ca.pem', '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no', '--dir', certs,
        '--user', 'default', 'off', '--user', 'shop', 'on', '>s3cret', '~*', '+@all'],
      { cwd: certs, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let output = ''
    await new Promise<void>((resolve, reject) => {
      server.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) resolve()
      })
      server.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)))
    })
    server.stdout!.resume()
  })
  after(() => {
    server?.kill('SIGKILL')
  })

  const setting = (over: Partial<Exclude<StoreSetting, string>> = {}): StoreSetting => ({
    url: `rediss://127.0.0.1:${port}`,
    username: 'shop',
    password: 's3cret',
    tls: { caFile: join(certs, 'ca.pem'), servername: 'localhost' },
    connectTimeoutMs: 1500,
    ...over,
  })

  test('the right CA, user and password: it works', async () => {
    const store = await openStore(setting())
    await roundTrip(store)
    await store.close()
  })

  test('a wrong password is a clear 503, not a crash', async () => {
    const store = await openStore(setting({ password: 'wrong' }))
    await assert.rejects(store.getSession('x', Date.now()), unavailable(/WRONGPASS|invalid username-password/i))
    await store.close()
  })

  test('a server certificate the configured CAs do not vouch for is refused (503)', async () => {
    const store = await openStore(setting({ tls: true }))
    await assert.rejects(store.getSession('x', Date.now()), unavailable(/certificate/i))
    await store.close()
  })
})
