import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { generateKeysConfig } from '../../src/keys/generate.js'
import { createMember } from '../../src/member/create-member.js'
import { createSession } from '../../src/sessions/create.js'
import { linkSite } from '../../src/sessions/link.js'
import { sessionPolicy } from '../../src/sessions/policy.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { createRedisStore } from '../../src/stores/redis/index.js'
import { createSqliteStore } from '../../src/stores/sqlite/index.js'
import type { SessionStore } from '../../src/stores/store.js'
import { sharedRing } from '../helpers/hub.js'
import { listenOnFreePort } from '../helpers/listen.js'
import { deleteRedisPrefix, REDIS_URL } from '../helpers/stores.js'
import { memberApp } from './member-app.js'
import { startInstance } from './processes.js'

/**
 * DESIGN.md, "Properties": session data writes are per-key patches applied
 * atomically by the store, so two sites writing different keys of one
 * session at once lose nothing. Two sites, one global session, 300 writes
 * each over HTTP at the same time, on every store.
 */

const WRITES = 200
const WORKERS_PER_SITE = 6

/** A site as the test reaches it: where it listens and the cookie that names the shared session there. */
interface SiteEndpoint {
  url: string
  cookie: string
}

/** One global session linked on both sites: the session id and each site's cookie header. */
async function sharedSession(store: SessionStore, cookieNames: [string, string]): Promise<{ id: string; cookies: [string, string] }> {
  const session = await createSession(store, sessionPolicy())
  const a = await linkSite(store, session, 'shop')
  const b = await linkSite(store, session, 'shop-de')
  return { id: session.id, cookies: [`${cookieNames[0]}=${a}`, `${cookieNames[1]}=${b}`] }
}

/** `count` writes of distinct keys `${prefix}${i}` through one site, `workers` at a time; every one must be a 200 on the shared session. */
async function writeKeys(site: SiteEndpoint, prefix: string, sessionId: string): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: WORKERS_PER_SITE }, async () => {
      while (next < WRITES) {
        const i = next++
        const response = await fetch(`${site.url}/patch?k=${prefix}${i}`, { headers: { cookie: site.cookie }, signal: AbortSignal.timeout(10_000) })
        const body = (await response.json()) as { id?: string; error?: string }
        assert.equal(response.status, 200, `write ${prefix}${i}: ${response.status} ${JSON.stringify(body)}`)
        assert.equal(body.id, sessionId, `write ${prefix}${i} went to the shared session`)
        assert.deepEqual(response.headers.getSetCookie(), [], 'no new session was started')
      }
    }),
  )
}

/** Both sites write at once; then every key of both is in the session. */
async function race(store: SessionStore, id: string, sites: [SiteEndpoint, SiteEndpoint]): Promise<void> {
  await Promise.all([writeKeys(sites[0], 'shop-', id), writeKeys(sites[1], 'de-', id)])
  const session = await store.getSession(id, Date.now())
  assert.ok(session, 'the session lives')
  const keys = new Set(Object.keys(session.data))
  const missing = [...Array(WRITES).keys()].flatMap((i) => [`shop-${i}`, `de-${i}`]).filter((k) => !keys.has(k))
  assert.deepEqual(missing, [], `${missing.length} of ${2 * WRITES} keys lost`)
  assert.equal(keys.size, 2 * WRITES)
}

describe('two sites patching one session at once lose nothing', { timeout: 90_000 }, () => {
  const cleanups: (() => Promise<unknown> | void)[] = []
  after(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {})
  })

  test('memory store: two members in this process', async () => {
    const store = createMemoryStore()
    cleanups.push(() => store.close())
    const [a, b] = [await listenOnFreePort(), await listenOnFreePort()]
    cleanups.push(a.close, b.close)
    const sites = [
      { name: 'shop', origin: `http://127.0.0.1:${a.port}` },
      { name: 'shop-de', origin: `http://127.0.0.1:${b.port}` },
    ]
    const keys = await sharedRing()
    const members = sites.map((s) => createMember({ site: s.name, sites, hub: 'http://127.0.0.1:1', keys, store, bounce: 'never', log: () => {} }))
    a.server.on('request', memberApp(members[0]!))
    b.server.on('request', memberApp(members[1]!))
    const shared = await sharedSession(store, [members[0]!.context.cookies.session.name, members[1]!.context.cookies.session.name])
    await race(store, shared.id, [
      { url: sites[0]!.origin, cookie: shared.cookies[0] },
      { url: sites[1]!.origin, cookie: shared.cookies[1] },
    ])
  })

  /** The multi-process case: each site a child process on `env`'s store; `store` is the test's own view of the same store. */
  async function acrossProcesses(store: SessionStore, env: Record<string, string>): Promise<void> {
    const origins = { hub: 'http://auth.acme.localhost:4000', shop: 'http://shop.localhost:4002', 'shop-de': 'http://shop-de.localhost:4003' }
    const common = { ...env, ROLE: 'member', ORIGINS: JSON.stringify(origins), KEYS: JSON.stringify(await generateKeysConfig()) }
    const started = await Promise.allSettled([startInstance('shop', { ...common, SITE: 'shop' }), startInstance('shop-de', { ...common, SITE: 'shop-de' })])
    for (const s of started) if (s.status === 'fulfilled') cleanups.push(() => s.value.close())
    const [shop, de] = started.map((s) => {
      if (s.status === 'rejected') throw s.reason
      return s.value
    })
    // Both origins are plain http *.localhost: the session cookie is `ss` on each (not Secure, so WebKit keeps it).
    const shared = await sharedSession(store, ['ss', 'ss'])
    await race(store, shared.id, [
      { url: shop!.url, cookie: shared.cookies[0] },
      { url: de!.url, cookie: shared.cookies[1] },
    ])
    await Promise.all([shop!.close(), de!.close()])
  }

  test('sqlite store: two processes on one file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-rel-conc-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 'sessions.sqlite')
    const store = createSqliteStore({ path, busyTimeoutMs: 5_000 })
    cleanups.push(() => store.close())
    await acrossProcesses(store, { STORE: 'sqlite', SQLITE_PATH: path })
  })

  test('redis store: two processes on one prefix', async () => {
    const prefix = `ssrel:conc:${randomBytes(4).toString('hex')}:`
    const store = createRedisStore({ url: REDIS_URL, prefix })
    cleanups.push(() => store.close(), () => deleteRedisPrefix(prefix))
    await acrossProcesses(store, { STORE: 'redis', REDIS_URL, REDIS_PREFIX: prefix })
  })
})
