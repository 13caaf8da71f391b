import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { after, describe, test } from 'node:test'
import { Cluster, Redis } from 'ioredis'
import { keyPart } from '../../src/stores/redis/codec.js'
import { isSharedSessionError } from '../../src/errors/shared-session-error.js'
import { parseClusterUrl } from '../../src/stores/redis/cluster-url.js'
import { createRedisStore } from '../../src/stores/redis/index.js'
import { deleteRedisClusterPrefix, REDIS_CLUSTER_URL, STORE_FACTORIES } from '../helpers/stores.js'
import { makeRecord, randomId, runStoreContract } from './contract.js'

// The cluster scripts/start-services.sh starts: three masters on 127.0.0.1:7001-7003.
runStoreContract('redis-cluster', STORE_FACTORIES['redis-cluster'])

const filePrefix = `sstest:${randomBytes(6).toString('hex')}:`
let stores = 0
const freshPrefix = (): string => `${filePrefix}${++stores}:`
const admin = new Cluster(parseClusterUrl(REDIS_CLUSTER_URL)!.nodes)
after(async () => {
  await deleteRedisClusterPrefix(filePrefix)
  await admin.quit()
})

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

describe('redis store on a cluster', () => {
  test('sessions and links spread over every master, and each resolves from any of them', async () => {
    const prefix = freshPrefix()
    const store = createRedisStore({ url: REDIS_CLUSTER_URL, prefix })
    try {
      const now = Date.now()
      const links: [string, string][] = []
      for (let i = 0; i < 30; i++) {
        const record = makeRecord({ data: { i: String(i) } })
        await store.insertSession(record)
        const hash = randomId()
        await store.insertLink(hash, { sessionId: record.id, site: 'shop', via: 'new', createdAt: now, expiresAt: record.absoluteExpiresAt })
        links.push([hash, record.id])
      }
      const perNode = await Promise.all(
        admin.nodes('master').map(async (node) => {
          let found = 0
          let cursor = '0'
          do {
            const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
            cursor = next
            found += keys.length
          } while (cursor !== '0')
          return found
        }),
      )
      assert.equal(perNode.length, 3)
      assert.ok(perNode.every((n) => n > 0), `keys on every master: ${perNode.join(', ')}`)
      for (const [hash, id] of links) assert.equal((await store.resolveLink(hash, now))?.session.id, id)
      assert.deepEqual(await store.count(now), { sessions: 30, links: 30, nonces: 0 })
    } finally {
      await store.close()
    }
  })

  test('a user’s sessions in different slots are listed and logged out everywhere', async () => {
    const prefix = freshPrefix()
    const store = createRedisStore({ url: REDIS_CLUSTER_URL, prefix })
    try {
      const now = Date.now()
      const user = { sub: 'u_cluster', username: 'cluster' }
      const records = Array.from({ length: 12 }, (_, i) => makeRecord({ user }, now + i))
      for (const record of records) await store.insertSession(record)
      const slots = new Set(await Promise.all(records.map(async (r) => Number(await admin.cluster('KEYSLOT', `${prefix}s:${keyPart(r.id)}`)))))
      assert.ok(slots.size > 1, 'the sessions live in several slots')
      assert.deepEqual(await store.listUserSessions(user.sub, now), records)
      assert.equal(await store.deleteUserSessions(user.sub), 12)
      assert.deepEqual(await store.listUserSessions(user.sub, now), [])
      assert.equal((await store.count(now)).sessions, 0)
    } finally {
      await store.close()
    }
  })

  test('20 parallel replays of one nonce through 4 separate cluster clients: exactly one wins', async () => {
    const prefix = freshPrefix()
    const clients = Array.from({ length: 4 }, () => createRedisStore({ url: REDIS_CLUSTER_URL, prefix }))
    try {
      await Promise.all(clients.map((s) => s.getSession(randomId(), Date.now()))) // connected, slots known
      const nonce = randomId()
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => clients[i % 4]!.consumeNonce(nonce, Date.now() + 60_000)))
      assert.equal(results.filter(Boolean).length, 1)
    } finally {
      await Promise.all(clients.map((s) => s.close()))
    }
  })

  test('cluster URLs and node lists are checked at start-up', () => {
    for (const options of [
      { url: 'redis-cluster://' },
      { url: 'redis-cluster://host:99999' },
      { url: 'redis-cluster://a:1,,b:2' },
      { nodes: [] },
      { nodes: ['not a node:x'] },
      { url: REDIS_CLUSTER_URL, prefix: 'app{x}:' },
    ]) {
      assert.throws(() => createRedisStore(options), (err: unknown) => isSharedSessionError(err, 'ERR_CONFIG_INVALID'), JSON.stringify(options))
    }
    assert.deepEqual(parseClusterUrl('rediss-cluster://us%40r:p%3Ass@10.0.0.1:7001,[::1]:7002,db'), {
      nodes: [{ host: '10.0.0.1', port: 7001 }, { host: '::1', port: 7002 }, { host: 'db', port: 6379 }],
      username: 'us@r',
      password: 'p:ss',
      tls: true,
    })
  })

  test('nodes given as a list work like the URL', async () => {
    const prefix = freshPrefix()
    const store = createRedisStore({ nodes: ['127.0.0.1:7001', 'redis://127.0.0.1:7002'], prefix })
    try {
      assert.equal(await store.consumeNonce('n', Date.now() + 60_000), true)
      assert.equal(await store.consumeNonce('n', Date.now() + 60_000), false)
    } finally {
      await store.close()
    }
  })

  test('no cluster node answering: ERR_STORE_UNAVAILABLE within bounded time', async () => {
    const [a, b] = [await freePort(), await freePort()]
    const store = createRedisStore({ url: `redis-cluster://127.0.0.1:${a},127.0.0.1:${b}`, prefix: freshPrefix(), connectTimeoutMs: 500 })
    try {
      const started = Date.now()
      await assert.rejects(store.getSession(randomId(), Date.now()), (err: unknown) => {
        assert.ok(isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE'), String(err))
        assert.equal(err.status, 503)
        assert.match(err.message, /^redis store unavailable during getSession: /)
        return true
      })
      assert.ok(Date.now() - started < 2000, `settled in ${Date.now() - started} ms`)
    } finally {
      await store.close()
    }
  })
})

/** A cluster node of this test's own (the shared cluster must not be disturbed), on a fixed port and config file so it can come back. */
async function startNode(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout', '1000', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
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

async function clusterOk(ports: number[]): Promise<boolean> {
  const answers = await Promise.all(
    ports.map(async (port) => {
      const node = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 })
      try {
        await node.connect()
        return /cluster_state:ok/.test(String(await node.cluster('INFO')))
      } catch {
        return false
      } finally {
        node.disconnect()
      }
    }),
  )
  return answers.every(Boolean)
}

describe('redis store on a cluster that goes away', () => {
  test('every node killed: 503 within bounded time; nodes back: the store recovers by itself', async (t) => {
    t.mock.method(console, 'error', () => {})
    const dir = mkdtempSync(join(tmpdir(), 'ss-cluster-'))
    const ports = [await freePort(), await freePort(), await freePort()]
    let nodes = await Promise.all(ports.map((port) => startNode(port, dir)))
    const stop = async (): Promise<void> => {
      await Promise.all(nodes.map(async (node) => {
        if (node.exitCode !== null || node.signalCode !== null) return
        const exited = once(node, 'exit')
        node.kill('SIGKILL')
        await exited
      }))
    }
    const store = createRedisStore({ url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, connectTimeoutMs: 500, commandTimeoutMs: 500 })
    try {
      await promisify(execFile)('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'])
      for (let i = 0; i < 100 && !(await clusterOk(ports)); i++) await sleep(100)
      const record = makeRecord()
      // The fresh cluster may take a moment to serve on a loaded machine (500 ms timeouts here).
      for (let i = 0; ; i++) {
        try {
          await store.insertSession(record)
          break
        } catch (err) {
          if (i >= 40 || !isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE')) throw err
          await sleep(250)
        }
      }
      assert.deepEqual(await store.getSession(record.id, record.createdAt), record)

      await stop()
      const started = Date.now()
      await assert.rejects(store.getSession(record.id, Date.now()), (err: unknown) => isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE') && err.status === 503)
      assert.ok(Date.now() - started < 2000, `settled in ${Date.now() - started} ms`)

      nodes = await Promise.all(ports.map((port) => startNode(port, dir)))
      let recovered = false
      for (const deadline = Date.now() + 15_000; !recovered && Date.now() < deadline; ) {
        try {
          await store.insertSession(record) // the data did not survive (no persistence); the store must work again
          recovered = (await store.getSession(record.id, record.createdAt)) !== null
        } catch (err) {
          assert.ok(isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE'), String(err))
          await sleep(200)
        }
      }
      assert.ok(recovered, 'the store worked again within 15 s, with no action')
    } finally {
      await store.close()
      await stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
