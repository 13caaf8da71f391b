import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { after, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { createMember } from '../../src/member/create-member.js'
import { createRedisClient } from '../../src/stores/redis/connection.js'
import { createRedisStore } from '../../src/stores/redis/index.js'
import { createSqliteStore } from '../../src/stores/sqlite/index.js'
import type { SessionStore } from '../../src/stores/store.js'
import { sharedRing } from '../helpers/hub.js'
import { listenOnFreePort } from '../helpers/listen.js'
import { histogram, sleep, startLoad, waitFor, type Sample } from './load.js'
import { memberApp } from './member-app.js'
import { startOwnRedis } from './redis-server.js'

/**
 * DESIGN.md, "Properties": the store being down is a clear 503 with a
 * logged reason, never a crash or a silently anonymous user; the app
 * recovers by itself when the store returns.
 */

const SESSIONS = 12
const WORKERS = 6

/** A member app (node:http + withNodeMiddleware) on `store`, in this process, with `SESSIONS` visitors who already have a session. */
async function startApp(store: SessionStore) {
  const listening = await listenOnFreePort()
  const origin = `http://127.0.0.1:${listening.port}`
  const member = createMember({
    site: 'shop',
    sites: [{ name: 'shop', origin }],
    hub: 'http://127.0.0.1:1',
    keys: await sharedRing(),
    store,
    bounce: 'never',
    log: () => {},
  })
  listening.server.on('request', memberApp(member))
  const cookieName = member.context.cookies.session.name
  return { origin, cookieName, close: listening.close }
}

/** Give `count` visitors a session through the app (first write), each with n = 1: their cookie and session id. */
async function seedVisitors(origin: string, cookieName: string, count: number): Promise<{ cookie: string; id: string }[]> {
  const out: { cookie: string; id: string }[] = []
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${origin}/`)
    assert.equal(response.status, 200, 'seeding a visitor')
    const body = (await response.json()) as { id: string; n: number }
    const line = response.headers.getSetCookie().find((c) => c.startsWith(`${cookieName}=`))
    assert.ok(line, 'the first write sets the session cookie')
    out.push({ cookie: line.split(';')[0]!, id: body.id })
  }
  return out
}

/** Silence console.error (the 503 log lines) while `fn` runs, and return what was logged. */
function captureErrors(): { lines: string[]; restore(): void } {
  const original = console.error
  const lines: string[] = []
  console.error = (...args: unknown[]) => void lines.push(args.map(String).join(' '))
  return { lines, restore: () => void (console.error = original) }
}

/** Every sample is either a 200 that served the visitor's own session, or a clear 503 store-unavailable. */
function assertOnlyOwnSessionOr503(samples: readonly Sample[], visitors: readonly { cookie: string; id: string }[], byUrl: (s: Sample) => number): void {
  for (const s of samples) {
    const visitor = visitors[byUrl(s)]!
    if (s.status === 200) {
      assert.equal(s.body?.id, visitor.id, `a 200 served another or no session (anonymous?): ${JSON.stringify(s.body)}`)
      assert.deepEqual(s.setCookie, [], 'a visitor with a session never gets a new cookie')
    } else {
      assert.equal(s.status, 503, `only 200 or 503, got ${s.status} ${s.failure ?? JSON.stringify(s.body)} at ${s.at} ms`)
      assert.equal(s.body?.error, 'ERR_STORE_UNAVAILABLE', JSON.stringify(s.body))
      assert.equal(s.retryAfter, '1', 'a 503 says when to retry')
      assert.deepEqual(s.setCookie, [], 'a 503 never touches cookies')
    }
  }
}

const resourceCount = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length

describe('store faults', { timeout: 90_000 }, () => {
  const cleanups: (() => Promise<void> | void)[] = []
  after(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {})
  })

  test('redis stopped mid-load: 503 with Retry-After, then recovery by itself, nothing lost, no leak', async (t) => {
    const redis = await startOwnRedis()
    cleanups.push(() => redis.close())
    const client = createRedisClient({ url: redis.url, commandTimeoutMs: 500, connectTimeoutMs: 500 })
    cleanups.push(() => void client.disconnect())
    const store = createRedisStore({ client, prefix: `ssrel:${randomBytes(4).toString('hex')}:`, connectTimeoutMs: 500, commandTimeoutMs: 500 })
    cleanups.push(() => store.close())
    const app = await startApp(store)
    cleanups.push(() => app.close())
    const visitors = await seedVisitors(app.origin, app.cookieName, SESSIONS)
    const errors = captureErrors()
    cleanups.push(() => errors.restore())

    const pick = (w: number, i: number) => {
      const v = (w * 7 + i) % SESSIONS
      return { url: `${app.origin}/${i % 3 === 0 ? 'read' : ''}?v=${v}`, headers: { cookie: visitors[v]!.cookie } }
    }
    const visitorOf = (s: Sample) => Number(new URL(s.target).searchParams.get('v'))

    // Warm up (JIT, connection pools), then take the baseline.
    const warm: Sample[] = []
    const warmLoad = startLoad(WORKERS, pick, warm)
    await sleep(600)
    await warmLoad.stop()
    assert.deepEqual(histogram(warm), { 200: warm.length }, 'healthy before the fault')
    await sleep(100)
    const before = { ...process.memoryUsage(), resources: resourceCount(), listeners: client.eventNames().map((e) => client.listenerCount(e)).reduce((a, b) => a + b, 0) }

    const samples: Sample[] = []
    const load = startLoad(WORKERS, pick, samples)
    await sleep(700)
    const stoppedAt = samples.length
    await redis.stop()
    await waitFor('503s during the outage', () => samples.slice(stoppedAt).some((s) => s.status === 503), 5_000)
    await sleep(1_200)
    await redis.start()
    const restartedAt = samples.length
    await waitFor('a 200 after redis is back (no restart of the app)', () => samples.slice(restartedAt).some((s) => s.status === 200), 8_000)
    const recoveredAt = samples.length
    await sleep(700)
    await load.stop()

    const afterRecovery = samples.slice(recoveredAt)
    t.diagnostic(`redis: ${samples.length} requests ${JSON.stringify(histogram(samples))}; first 200 ${samples.find((s, i) => i >= restartedAt && s.status === 200)!.at - samples[restartedAt - 1]!.at} ms after the restart`)
    assert.ok(afterRecovery.length > 20, `load kept going after recovery (${afterRecovery.length})`)
    assert.ok(
      afterRecovery.filter((s) => s.status === 200).length >= afterRecovery.length * 0.95,
      `recovered for good: ${JSON.stringify(histogram(afterRecovery))}`,
    )
    assert.ok(samples.some((s) => s.status === 503), `the outage was seen: ${JSON.stringify(histogram(samples))}`)
    assert.equal(samples.filter((s) => s.status === 0).length, 0, `no request failed at the socket: ${samples.find((s) => s.status === 0)?.failure}`)
    assertOnlyOwnSessionOr503(samples, visitors, visitorOf)
    assert.ok(errors.lines.length > 0, 'the 503s were logged')
    for (const line of errors.lines) assert.match(line, /ERR_STORE_UNAVAILABLE: redis store unavailable/, 'only store-unavailable lines are logged')
    errors.restore()

    // Every session written before the fault still resolves, with its data.
    for (const [i, v] of visitors.entries()) {
      const r = await fetch(`${app.origin}/read`, { headers: { cookie: v.cookie } })
      assert.equal(r.status, 200, `visitor ${i} after the fault`)
      const body = (await r.json()) as { id: string; n: number }
      assert.equal(body.id, v.id, `visitor ${i} keeps their session`)
      assert.ok(body.n >= 1, `visitor ${i} keeps their data`)
    }

    // No ballooning, no piling up of listeners or timers.
    await sleep(300)
    const now = { ...process.memoryUsage(), resources: resourceCount(), listeners: client.eventNames().map((e) => client.listenerCount(e)).reduce((a, b) => a + b, 0) }
    const mb = (n: number) => Math.round(n / 1e6)
    assert.ok(now.heapUsed < before.heapUsed + 80e6, `heap ${mb(before.heapUsed)} → ${mb(now.heapUsed)} MB`)
    assert.ok(now.rss < before.rss + 150e6, `rss ${mb(before.rss)} → ${mb(now.rss)} MB`)
    assert.ok(now.resources <= before.resources + 8, `active resources ${before.resources} → ${now.resources}: ${process.getActiveResourcesInfo().join(',')}`)
    assert.equal(now.listeners, before.listeners, `ioredis client listeners ${before.listeners} → ${now.listeners}`)
  })

  test('sqlite locked by another connection (BEGIN EXCLUSIVE): writes 503, then recovery on release', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-rel-sqlite-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 'sessions.sqlite')
    const store = createSqliteStore({ path, busyTimeoutMs: 30 })
    cleanups.push(() => store.close())
    const app = await startApp(store)
    cleanups.push(() => app.close())
    const visitors = await seedVisitors(app.origin, app.cookieName, SESSIONS)
    const errors = captureErrors()
    cleanups.push(() => errors.restore())

    const locker = new Database(path, { timeout: 1_000 })
    cleanups.push(() => void (locker.open && locker.close()))
    const samples: Sample[] = []
    const pick = (w: number, i: number) => {
      const v = (w * 5 + i) % SESSIONS
      return { url: `${app.origin}/${i % 3 === 0 ? 'read' : ''}?v=${v}`, headers: { cookie: visitors[v]!.cookie } }
    }
    const load = startLoad(4, pick, samples)
    await sleep(400)
    locker.exec('BEGIN EXCLUSIVE')
    const lockMs = Date.now() - load.startedAt
    const lockedAt = samples.length
    await waitFor('503s while the file is locked', () => samples.slice(lockedAt).some((s) => s.status === 503), 5_000)
    await sleep(800)
    const lockedSamples = samples.slice(lockedAt)
    locker.exec('COMMIT')
    const releaseMs = Date.now() - load.startedAt
    locker.close()
    const releasedAt = samples.length
    await waitFor('a write succeeds after the lock is released', () => samples.slice(releasedAt).some((s) => s.status === 200 && s.body?.n !== undefined && !s.target.includes('/read')), 5_000)
    const recoveredAt = samples.length
    await sleep(500)
    await load.stop()

    assert.equal(samples.filter((s) => s.status === 0).length, 0, 'no request failed at the socket')
    assertOnlyOwnSessionOr503(samples, visitors, (s) => Number(new URL(s.target).searchParams.get('v')))
    // WAL: readers are not blocked by a writer's lock, so pure reads kept working while writes failed.
    assert.ok(lockedSamples.some((s) => s.status === 200 && s.target.includes('/read')), `reads went on while locked: ${JSON.stringify(histogram(lockedSamples))}`)
    // A write sent after the lock was taken and answered before it was released cannot have succeeded.
    const lockedWrites = samples.filter((s) => !s.target.includes('/read') && s.at > lockMs && s.doneAt < releaseMs)
    assert.ok(lockedWrites.length > 0 && lockedWrites.every((s) => s.status === 503), `writes failed while locked: ${JSON.stringify(histogram(lockedWrites))}`)
    const afterRelease = samples.slice(recoveredAt)
    t.diagnostic(`sqlite lock: ${samples.length} requests ${JSON.stringify(histogram(samples))}; while locked ${JSON.stringify(histogram(lockedSamples))}`)
    assert.ok(afterRelease.length > 0 && afterRelease.every((s) => s.status === 200), `recovered: ${JSON.stringify(histogram(afterRelease))}`)
    for (const line of errors.lines) assert.match(line, /ERR_STORE_UNAVAILABLE: sqlite store unavailable.*(SQLITE_BUSY|locked|another connection)/i)
    errors.restore()
    for (const v of visitors) {
      const body = (await (await fetch(`${app.origin}/read`, { headers: { cookie: v.cookie } })).json()) as { id: string; n: number }
      assert.equal(body.id, v.id)
      assert.ok(body.n >= 1)
    }
  })

  test('sqlite opened read-only: reads work, writes are a 503', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-rel-sqlite-ro-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 'sessions.sqlite')
    const writable = createSqliteStore({ path })
    const seeding = await startApp(writable)
    const visitors = await seedVisitors(seeding.origin, seeding.cookieName, 4)
    await seeding.close()
    await writable.close()

    const store = createSqliteStore({ path, readonly: true })
    cleanups.push(() => store.close())
    const app = await startApp(store)
    cleanups.push(() => app.close())
    const errors = captureErrors()
    cleanups.push(() => errors.restore())
    for (const v of visitors) {
      const read = await fetch(`${app.origin}/read`, { headers: { cookie: v.cookie } })
      assert.equal(read.status, 200, 'a read of a read-only store works')
      assert.deepEqual(await read.json(), { id: v.id, user: null, n: 1 })
      const write = await fetch(`${app.origin}/`, { headers: { cookie: v.cookie } })
      assert.equal(write.status, 503, 'a write to a read-only store is a 503')
      assert.equal(write.headers.get('retry-after'), '1')
      assert.equal(((await write.json()) as { error: string }).error, 'ERR_STORE_UNAVAILABLE')
      assert.deepEqual(write.headers.getSetCookie(), [])
    }
    // A visitor without a session who writes: the session cannot be created, and says so.
    const fresh = await fetch(`${app.origin}/`)
    assert.equal(fresh.status, 503)
    assert.deepEqual(fresh.headers.getSetCookie(), [], 'no cookie for a session that was never stored')
    errors.restore()
    assert.ok(errors.lines.length >= visitors.length + 1)
    for (const line of errors.lines) assert.match(line, /ERR_STORE_UNAVAILABLE: sqlite store unavailable/)
  })
})
