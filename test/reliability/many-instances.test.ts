import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { generateKeysConfig } from '../../src/keys/generate.js'
import { createSqliteUserDirectory } from '../../src/users/sqlite-directory.js'
import { decodeJwt } from 'jose'
import { sidDigest } from '../../src/confirm/cookies.js'
import { ALICE } from '../helpers/hub.js'
import { CookieJar, loginOverHttp } from '../helpers/http.js'
import { deleteRedisPrefix, REDIS_URL } from '../helpers/stores.js'
import { histogram, sleep, startLoad, type Sample } from './load.js'
import { startInstance, type Instance } from './processes.js'

/**
 * DESIGN.md, "Pieces": Redis is the distributed store for many hub and
 * member instances. Two hubs and two instances of one member, four
 * processes on one Redis: any instance serves any session, and losing an
 * instance loses no session.
 */

/** The deployment's public origins: both hubs answer for one, both member instances for the other (as behind a load balancer). */
const ORIGINS = { hub: 'http://auth.acme.localhost:4000', forum: 'http://forum.acme.localhost:4001' }
const HUB = { origin: ORIGINS.hub }
/** The hub's cookies and the binding cookie of a browser whose token the hub has confirmed (forward-auth asks for it). */
const confirmed = (jar: CookieJar) => `${jar.header()}; ss-bound=${sidDigest(decodeJwt(jar.get('ss-token')!).sid as string)}.-`
const SESSIONS = 6

/** A GET with exactly these headers (Node's fetch adds Sec-Fetch-Mode: cors to every request). */
function navigate(url: string, headers: Record<string, string>): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0, location: res.headers.location })
    })
    req.on('error', reject)
    req.end()
  })
}

interface Visitor {
  /** The browser's cookies at the hub (session link and the parent-domain token). */
  hub: CookieJar
  /** The browser's cookies at the forum. */
  forum: CookieJar
  /** The global session id, as the forum's app sees it. */
  id?: string
}

describe('many instances on one Redis', { timeout: 90_000 }, () => {
  const prefix = `ssrel:multi:${randomBytes(4).toString('hex')}:`
  const dir = mkdtempSync(join(tmpdir(), 'ss-rel-multi-'))
  const running: Instance[] = []
  let hubA: Instance, hubB: Instance, member1: Instance, member2: Instance

  before(async () => {
    const users = createSqliteUserDirectory({ path: join(dir, 'users.sqlite') })
    await users.add(ALICE)
    users.close()
    const env = {
      ORIGINS: JSON.stringify(ORIGINS),
      KEYS: JSON.stringify(await generateKeysConfig()),
      STORE: 'redis',
      REDIS_URL,
      REDIS_PREFIX: prefix,
      USERS: join(dir, 'users.sqlite'),
    }
    const started = await Promise.allSettled([
      startInstance('hub A', { ...env, ROLE: 'hub' }),
      startInstance('hub B', { ...env, ROLE: 'hub' }),
      startInstance('member 1', { ...env, ROLE: 'member', SITE: 'forum' }),
      startInstance('member 2', { ...env, ROLE: 'member', SITE: 'forum' }),
    ])
    for (const s of started) if (s.status === 'fulfilled') running.push(s.value)
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed) throw failed.reason
    ;[hubA, hubB, member1, member2] = running as [Instance, Instance, Instance, Instance]
  })

  after(async () => {
    await Promise.all(running.map((i) => i.close()))
    await deleteRedisPrefix(prefix).catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  })

  const visitors: Visitor[] = []

  test('a login at either hub is the session at the other hub and at both member instances', async () => {
    for (let i = 0; i < SESSIONS; i++) {
      const [at, other] = i % 2 === 0 ? [hubA, hubB] : [hubB, hubA]
      const v: Visitor = { hub: new CookieJar(), forum: new CookieJar() }
      const login = await loginOverHttp({ ...HUB, url: at.url }, v.hub, { username: ALICE.username, password: ALICE.password })
      assert.equal(login.status, 303, `login at ${at.name}: ${login.status} ${await login.text()}`)
      assert.ok(v.hub.get('ss') && v.hub.get('ss-token'), `login set the hub cookie and the token: ${[...v.hub.cookies.keys()]}`)

      // The other hub knows the session: its home page and its forward-auth (which checks the session in the store).
      const home = await fetch(`${other.url}/`, { headers: { cookie: v.hub.header() } })
      assert.equal(home.status, 200)
      assert.match(await home.text(), /alice/, `${other.name} shows the user signed in at ${at.name}`)
      const auth = await fetch(`${other.url}/forward-auth`, { headers: { cookie: confirmed(v.hub) } })
      assert.equal(auth.status, 200, `forward-auth at ${other.name}`)
      assert.equal(auth.headers.get('x-auth-user'), 'alice')

      // Member 1 links the session by a pull through the other hub (the token only says "pull now"):
      // page → hub /pull → accept → page, as a browser's top-level redirects; member 2 serves the same session from the store.
      const nav = { accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'sec-fetch-site': 'none' }
      const token = `ss-token=${v.hub.get('ss-token')}`
      // (The instances run with bounce 'never': the sync endpoint starts the pull a bounce would.)
      const bounce = await fetch(`${member1.url}/_session/sync?return=%2F`, { headers: { ...nav, cookie: token }, redirect: 'manual' })
      assert.equal(bounce.status, 302, 'the forum starts a pull')
      v.forum.take(bounce)
      // Node's fetch always says Sec-Fetch-Mode: cors; the pull answers only navigations, so ask as a browser does.
      const pulled = await navigate(`${other.url}${new URL(bounce.headers.get('location')!).pathname}${new URL(bounce.headers.get('location')!).search}`, { ...nav, cookie: v.hub.header() })
      assert.equal(pulled.status, 302, `pull at ${other.name}`)
      const accept = new URL(pulled.location!)
      const back = await fetch(`${member2.url}${accept.pathname}${accept.search}`, { headers: { ...nav, cookie: `${v.forum.header()}; ${token}` }, redirect: 'manual' })
      assert.equal(back.status, 303, `accept at member 2: ${back.status}`)
      v.forum.take(back)
      const first = await fetch(`${member1.url}/`, { headers: { cookie: v.forum.header() } })
      assert.equal(first.status, 200)
      v.forum.take(first)
      const one = (await first.json()) as { id: string; user: string; n: number }
      assert.equal(one.user, 'alice')
      assert.equal(one.n, 1)
      v.id = one.id
      const second = await fetch(`${member2.url}/`, { headers: { cookie: v.forum.header() } })
      assert.equal(second.status, 200)
      assert.deepEqual(await second.json(), { id: one.id, user: 'alice', n: 2 }, 'member 2 sees what member 1 wrote')
      visitors.push(v)
    }
  })

  test('a member instance killed mid-load: the other keeps serving, no session is lost', async (t) => {
    assert.equal(visitors.length, SESSIONS, 'the sessions of the first test')
    const samples: Sample[] = []
    const instances = [member1, member2]
    const pick = (w: number, i: number) => {
      const v = (w * 3 + i) % SESSIONS
      return { url: `${instances[(w + i) % 2]!.url}/?v=${v}`, headers: { cookie: visitors[v]!.forum.header() } }
    }
    const load = startLoad(4, pick, samples, 3_000)
    await sleep(800)
    const killedAt = Date.now()
    member1.child.kill('SIGKILL')
    await new Promise((resolve) => member1.child.once('exit', resolve))
    const afterKill = samples.length
    await sleep(1_200)
    await load.stop()
    t.diagnostic(`${samples.length} requests: ${JSON.stringify(histogram(samples))}; killed at +${killedAt - (Date.now() - 2_000)} ms`)

    const toSurvivor = samples.filter((s) => s.target.startsWith(member2.url))
    const toKilled = samples.filter((s) => s.target.startsWith(member1.url))
    assert.ok(toSurvivor.length > 20, 'the survivor was loaded')
    for (const s of toSurvivor) {
      const v = visitors[Number(new URL(s.target).searchParams.get('v'))]!
      assert.equal(s.status, 200, `the survivor answered ${s.status} ${s.failure ?? JSON.stringify(s.body)}`)
      assert.equal(s.body?.id, v.id, 'with the visitor’s own session')
      assert.equal(s.body?.user, 'alice')
    }
    assert.ok(samples.slice(afterKill).some((s) => s.target.startsWith(member2.url) && s.status === 200), 'the survivor served after the kill')
    assert.ok(toKilled.every((s) => s.status === 200 || s.status === 0), `the killed instance answered 200 or nothing: ${JSON.stringify(histogram(toKilled))}`)
    assert.ok(hubA.alive() && hubB.alive() && member2.alive(), 'the other processes are up')

    // Every session created before still resolves, through the survivor and through both hubs.
    for (const [i, v] of visitors.entries()) {
      const read = await fetch(`${member2.url}/read`, { headers: { cookie: v.forum.header() } })
      assert.equal(read.status, 200)
      const body = (await read.json()) as { id: string; user: string; n: number }
      assert.equal(body.id, v.id, `session ${i} resolves through the survivor`)
      assert.equal(body.user, 'alice')
      assert.ok(body.n >= 2, `session ${i} keeps its data`)
      for (const hub of [hubA, hubB]) {
        const auth = await fetch(`${hub.url}/forward-auth`, { headers: { cookie: confirmed(v.hub) } })
        assert.equal(auth.status, 200, `session ${i} still valid at ${hub.name}`)
      }
    }
  })
})
