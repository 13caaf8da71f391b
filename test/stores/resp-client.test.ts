// The Redis store's own client (src/stores/redis/resp-client.ts) against real redis-servers:
// replies split anywhere, pipelining under load, AUTH and SELECT from the URL, TLS, and a peer that is not Redis.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, connect, type Server } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { after, describe, test } from 'node:test'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { createSelfSignedCertificate } from '../../src/demo/self-signed-certificate.js'
import { isSharedSessionError } from '../../src/errors/shared-session-error.js'
import { createRedisClient } from '../../src/stores/redis/connection.js'
import { createRedisStore } from '../../src/stores/redis/index.js'
import { parseReply, RedisReplyError, RespClient } from '../../src/stores/redis/resp-client.js'
import { freePort, pings } from '../reliability/redis-server.js'
import { makeRecord, randomId } from './contract.js'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const cleanups: (() => unknown)[] = []
after(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {})
})

/** A reply as Redis would send it. */
type Reply = string | number | null | Reply[]

function encode(reply: Reply): string {
  if (reply === null) return '$-1\r\n'
  if (typeof reply === 'number') return `:${reply}\r\n`
  if (typeof reply === 'string') return `$${Buffer.byteLength(reply)}\r\n${reply}\r\n`
  return `*${reply.length}\r\n${reply.map(encode).join('')}`
}

const replies: fc.Arbitrary<Reply> = fc.letrec<{ reply: Reply }>((tie) => ({
  reply: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.integer(),
    fc.constant(null),
    fc.array(tie('reply'), { maxLength: 5 }),
  ),
})).reply

async function ownRedis(...extra: string[]): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], { stdio: 'ignore' })
  cleanups.push(() => child.kill('SIGKILL'))
  for (let i = 0; i < 100 && !(await pings(port)); i++) await new Promise((r) => setTimeout(r, 50))
  return { port, child }
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanups.push(() => server.close())
  return (server.address() as { port: number }).port
}

async function ready(client: RespClient): Promise<RespClient> {
  cleanups.push(() => client.disconnect())
  if (client.status !== 'ready') await once(client, 'ready')
  return client
}

describe('RespClient', () => {
  test('parses every reply whole, and waits on every part of one (property, 300 runs)', () => {
    fc.assert(
      fc.property(replies, (reply) => {
        const bytes = Buffer.from(encode(reply))
        assert.deepEqual(parseReply(bytes, 0), { reply, end: bytes.length })
        for (let cut = 0; cut < bytes.length; cut++) assert.equal(parseReply(bytes.subarray(0, cut), 0), undefined, `cut at ${cut}`)
      }),
      { numRuns: 300 },
    )
    assert.deepEqual(parseReply(Buffer.from('+OK\r\n'), 0), { reply: 'OK', end: 5 })
    const error = parseReply(Buffer.from('-NOSCRIPT No matching script\r\n'), 0)!.reply
    assert.ok(error instanceof RedisReplyError && error.message === 'NOSCRIPT No matching script')
  })

  test('2,000 commands at once, values of every size and script: each gets its own answer', async () => {
    const client = await ready(createRedisClient({ url, commandTimeoutMs: 5000, connectTimeoutMs: 2000 }) as RespClient)
    const prefix = `ssresp:${randomId().slice(0, 8)}:`
    cleanups.push(async () => {
      const admin = new Redis(url)
      const keys = await admin.keys(`${prefix}*`)
      if (keys.length) await admin.del(...keys)
      admin.disconnect()
    })
    const values = Array.from({ length: 2000 }, (_, i) => (i % 250 === 0 ? 'ü€😀'.repeat(100_000 + i) : `v${i}\r\n$3\r\n${'é'.repeat(i % 7)}`))
    const sets = await Promise.all(values.map((v, i) => client.call('SET', `${prefix}${i}`, v)))
    assert.ok(sets.every((r) => r === 'OK'))
    const gets = await Promise.all(values.map((_, i) => client.call('GET', `${prefix}${i}`)))
    for (const [i, v] of values.entries()) assert.equal(gets[i], v, `value ${i}`)
    assert.deepEqual(await client.eval("return { KEYS[1], ARGV[1], 7, false, { 'x' } }", 1, 'k', 'ä'), ['k', 'ä', 7, null, ['x']])
    await assert.rejects(client.call('NOSUCHCOMMAND'), (err: unknown) => err instanceof RedisReplyError && /unknown command/i.test(err.message))
    assert.equal(await client.call('PING'), 'PONG', 'an error reply leaves the connection in step')
  })

  test('AUTH (user and password from the URL) and SELECT (its /db); a wrong password is a clear 503', async () => {
    const { port } = await ownRedis('--user', 'default', 'off', '--user', 'app', 'on', '>s3cr:t@', '~*', '+@all')
    const store = createRedisStore({ url: `redis://app:${encodeURIComponent('s3cr:t@')}@127.0.0.1:${port}/3`, prefix: 'p:' })
    cleanups.push(() => store.close())
    const record = makeRecord()
    await store.insertSession(record)
    assert.deepEqual(await store.getSession(record.id, record.createdAt), record)
    const admin = new Redis({ port, username: 'app', password: 's3cr:t@', db: 3 })
    cleanups.push(() => admin.disconnect())
    assert.equal((await admin.keys('p:s:*')).length, 1, 'the session is in database 3')

    const wrong = createRedisStore({ url: `redis://app:wrong@127.0.0.1:${port}`, connectTimeoutMs: 500 })
    cleanups.push(() => wrong.close())
    await assert.rejects(wrong.getSession(record.id, Date.now()), (err: unknown) => isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE') && /WRONGPASS/.test(err.message))
  })

  test('rediss:// through TLS: works with the server certificate trusted, refused without', async () => {
    const { cert, key } = createSelfSignedCertificate(['localhost'])
    const terminator = createTlsServer({ cert, key }, (tlsSocket) => {
      const plain = connect(6379, '127.0.0.1')
      tlsSocket.pipe(plain).pipe(tlsSocket)
      tlsSocket.on('error', () => plain.destroy())
      plain.on('error', () => tlsSocket.destroy())
    })
    const port = await listen(terminator as unknown as Server)
    const trusted = createRedisStore({ url: `rediss://localhost:${port}`, tls: { ca: cert }, prefix: `sstls:${randomId().slice(0, 8)}:` })
    cleanups.push(() => trusted.close())
    assert.equal(await trusted.consumeNonce(randomId(), Date.now() + 1000), true)
    // By address: no SNI (RFC 6066 allows host names only; Node warns DEP0123), the certificate's IP entry checked.
    const warnings: string[] = []
    const onWarning = (w: Error & { code?: string }) => void warnings.push(w.code ?? w.message)
    process.on('warning', onWarning)
    const byAddress = createRedisStore({ url: `rediss://127.0.0.1:${port}`, tls: { ca: cert }, prefix: `sstls:${randomId().slice(0, 8)}:` })
    cleanups.push(() => byAddress.close())
    assert.equal(await byAddress.consumeNonce(randomId(), Date.now() + 1000), true)
    await new Promise((r) => setImmediate(r))
    process.off('warning', onWarning)
    assert.deepEqual(warnings.filter((w) => w === 'DEP0123'), [])

    const untrusted = createRedisStore({ url: `rediss://localhost:${port}`, connectTimeoutMs: 1000 })
    cleanups.push(() => untrusted.close())
    await assert.rejects(untrusted.consumeNonce(randomId(), Date.now() + 1000), (err: unknown) => isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE') && /certificate/i.test(err.message))
  })

  test('a reply that comes after its command timed out is never given to another command', async () => {
    // A proxy in front of the real Redis that holds Redis's answers back, in order, while `slow` is on:
    // a server that stalls, then answers everything late.
    let slow = false
    const proxy = createServer((client) => {
      const redis = connect(6379, '127.0.0.1')
      client.pipe(redis)
      let tail = Promise.resolve()
      redis.on('data', (chunk: Buffer) => {
        const held = slow
        tail = tail.then(() => (held ? new Promise((r) => setTimeout(r, 300)) : undefined)).then(() => void (client.writable && client.write(chunk)))
      })
      client.on('error', () => redis.destroy())
      redis.on('error', () => client.destroy())
      client.on('close', () => redis.destroy())
    })
    const port = await listen(proxy)
    const prefix = `ssresp:${randomId().slice(0, 8)}:`
    const client = await ready(createRedisClient({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 200, connectTimeoutMs: 1000 }) as RespClient)
    await client.call('SET', `${prefix}alice`, 'alice-session', 'PX', 60_000)
    await client.call('SET', `${prefix}bob`, 'bob-session', 'PX', 60_000)
    slow = true
    await assert.rejects(client.call('GET', `${prefix}alice`), /Command timed out after 200 ms/)
    slow = false
    if (client.status !== 'ready') await once(client, 'ready')
    // Alice's answer is still on its way (300 ms after it was asked): bob's GETs, now and after it came, get bob's value.
    const answers = await Promise.all([client.call('GET', `${prefix}bob`), new Promise((r) => setTimeout(r, 400)).then(() => client.call('GET', `${prefix}bob`))])
    assert.deepEqual(answers, ['bob-session', 'bob-session'])
  })

  test('a peer that is not Redis: the call fails with a 503 error, nothing crashes, and it keeps trying', async () => {
    let connections = 0
    const liar = createServer((socket) => {
      connections++
      socket.on('data', () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'))
      socket.on('error', () => {})
    })
    const port = await listen(liar)
    const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500, commandTimeoutMs: 500 })
    cleanups.push(() => store.close())
    await assert.rejects(store.consumeNonce(randomId(), Date.now() + 1000), (err: unknown) => isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE') && /unreadable reply/.test(err.message))
    await new Promise((r) => setTimeout(r, 300))
    assert.ok(connections >= 2, `it connected again (${connections} connections)`)
  })
})
