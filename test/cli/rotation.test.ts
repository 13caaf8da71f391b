import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, before, describe, test } from 'node:test'
import { readConfig, writeFileAtomic } from '../../src/config/config-file.js'
import { memberConfig } from '../../src/config/member-config.js'
import { stopChild } from '../helpers/child.js'
import { CookieJar, loginOverHttp } from '../helpers/http.js'
import { freePort, runCli, startCli, type RunningCli } from './run-cli.js'

const MEMBER = new URL('./member-process.ts', import.meta.url).pathname
const TSX = import.meta.resolve('tsx')
const PASSWORD = 'correct horse battery'
const OVERLAP = 8
const NAVIGATE = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'sec-fetch-site': 'none', accept: 'text/html', 'user-agent': 'Mozilla/5.0 rotation-test' }

interface Answer {
  status: number
  location: string | null
  cookies: string[]
  text: string
}

/** A request with exactly these headers (fetch() would rewrite Sec-Fetch-Mode); *.localhost goes to 127.0.0.1. */
function get(url: string, headers: Record<string, string>): Promise<Answer> {
  const target = new URL(url)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname: '127.0.0.1', port: target.port, path: target.pathname + target.search, headers: { ...headers, host: target.host } }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (d: string) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location ?? null, cookies: res.headers['set-cookie'] ?? [], text }))
    })
    req.once('error', reject)
    req.end()
  })
}

/** Keep cookies like CookieJar does, from a raw Set-Cookie list. */
function take(jar: CookieJar, cookies: string[]): void {
  jar.take({ headers: { getSetCookie: () => cookies } } as unknown as Response)
}

/** A member process; resolves once it printed READY. */
async function startMember(file: string): Promise<{ child: ChildProcess; out(): string }> {
  const child = spawn(process.execPath, ['--import', TSX, MEMBER], { env: { ...process.env, MEMBER_CONFIG: file }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`member ${file} not ready:\n${out}`)), 30_000)
    child.once('exit', (code) => reject(new Error(`member ${file} exited ${code}:\n${out}`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      out += `${line}\n`
      if (line.startsWith('READY')) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  return { child, out: () => out }
}

describe('keys rotate under load against a running hub and members: zero errors, no restart', { timeout: 240_000 }, () => {
  let dir: string
  let hub: RunningCli
  const members: Array<{ child: ChildProcess; out(): string }> = []
  const origins = { hub: '', forum: '', shop: '' }
  const cli = (args: string[], input?: string) => runCli(args, { cwd: dir, ...(input !== undefined ? { input } : {}) })
  const handOut = () => {
    // What the operator does after `keys rotate`: give each member its new file (the CLI prints these commands).
    const config = readConfig(join(dir, 'shared-session.json'))
    for (const site of ['forum', 'shop']) writeFileAtomic(join(dir, `${site}.json`), JSON.stringify(memberConfig(config, site), null, 2))
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ss-rotation-'))
    const [hp, fp, sp] = [await freePort(), await freePort(), await freePort()]
    origins.hub = `http://auth.acme.localhost:${hp}`
    origins.forum = `http://forum.acme.localhost:${fp}`
    origins.shop = `http://shop.localhost:${sp}`
    for (const args of [
      ['init', '--origin', origins.hub, '--parent-domain', 'acme.localhost', '--store', 'redis://127.0.0.1:6379/0'],
      ['sites', 'add', 'forum', origins.forum],
      ['sites', 'add', 'shop', origins.shop],
    ]) {
      const r = await cli(args)
      assert.equal(r.code, 0, r.stderr)
    }
    assert.equal((await cli(['users', 'add', 'alice'], `${PASSWORD}\n`)).code, 0)
    handOut()
    hub = await startCli(['serve'], { cwd: dir, ready: /forward-auth/ })
    for (const site of ['forum', 'shop']) members.push(await startMember(join(dir, `${site}.json`)))
    for (const m of members) assert.doesNotMatch(m.out(), /shared-session: member/, 'the start-up self-check finds nothing')
  })
  after(async () => {
    await Promise.all(members.map((m) => stopChild(m.child)))
    await hub?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('signing keys, then the handoff secret', async () => {
    const errors: string[] = []
    const counts = { pull: 0, push: 0, token: 0 }
    let running = true
    const hubUrl = (u: string) => u.replace(/^http:\/\/[^/]+/, '')

    const alice = new CookieJar()
    const login = await loginOverHttp({ url: origins.hub.replace('auth.acme.localhost', '127.0.0.1'), origin: origins.hub }, alice, { username: 'alice', password: PASSWORD })
    assert.equal(login.status, 303)

    /** A new visitor of the shop: bounced through the hub (hub seals, shop opens), then its page pushes (shop seals, hub and forum open). */
    async function visitShop(): Promise<void> {
      const shop = new CookieJar()
      const hubJar = new CookieJar()
      const bounce = await get(`${origins.shop}/cart`, { ...NAVIGATE })
      take(shop, bounce.cookies)
      if (bounce.status < 300 || bounce.status > 303 || !bounce.location?.startsWith(`${origins.hub}/pull`)) return void errors.push(`bounce ${bounce.status} ${bounce.location} ${bounce.text}`)
      const pull = await get(bounce.location, { ...NAVIGATE, 'sec-fetch-site': 'cross-site' })
      take(hubJar, pull.cookies)
      if (pull.status < 300 || pull.status > 303 || !pull.location?.startsWith(`${origins.shop}/_session/accept`)) return void errors.push(`pull ${pull.status} ${pull.text}`)
      const accept = await get(pull.location, { ...NAVIGATE, 'sec-fetch-site': 'cross-site', cookie: shop.header() })
      take(shop, accept.cookies)
      if (accept.status < 300 || accept.status > 303) return void errors.push(`accept ${accept.status} ${accept.text.slice(0, 200)}`)
      counts.pull++
      const page = await get(`${origins.shop}/page`, { cookie: shop.header(), accept: 'text/html' })
      if (page.status !== 200) return void errors.push(`page ${page.status} ${page.text}`)
      for (const [, src] of page.text.matchAll(/<script[^>]* src="([^"]+)"/g)) {
        const script = await get(src!.replace(/&amp;/g, '&'), { 'sec-fetch-dest': 'script', 'sec-fetch-mode': 'no-cors', 'sec-fetch-site': 'cross-site', referer: `${origins.shop}/`, cookie: src!.startsWith(origins.hub) ? hubJar.header() : '' })
        if (script.status !== 200) errors.push(`push to ${new URL(src!).host} ${script.status} ${script.text}`)
        else counts.push++
      }
    }

    /** A fresh token from the hub (signed now), verified by the forum with the keys of its file. */
    async function tokenAtForum(): Promise<void> {
      const refreshed = await get(`${origins.hub}/refresh?return=${encodeURIComponent(`${origins.forum}/`)}`, { ...NAVIGATE, cookie: alice.header() })
      take(alice, refreshed.cookies)
      if (refreshed.status < 300 || refreshed.status > 303) return void errors.push(`refresh ${refreshed.status} ${refreshed.text}`)
      const token = refreshed.cookies.find((c) => /^(__Secure-)?ss-token=/.test(c))?.split(';')[0]?.split('=')[1]
      if (!token) return void errors.push('refresh set no token')
      // The forum verifies it with the keys of its own file, as its middleware does with the token cookie.
      const who = await get(`${origins.forum}/verify?token=${token}`, { accept: 'application/json' })
      const body = who.status === 200 ? (JSON.parse(who.text) as { username: string }) : null
      if (body?.username !== 'alice') errors.push(`forum read the token as ${who.status} ${who.text}`)
      else counts.token++
    }

    const workers = Array.from({ length: 3 }, async () => {
      while (running) {
        try {
          await visitShop()
          await tokenAtForum()
        } catch (err) {
          errors.push(`request failed: ${(err as Error).message}`)
        }
      }
    })
    const pids = [hub.child.pid, ...members.map((m) => m.child.pid)]
    const description = async () => JSON.parse((await get(`${origins.hub}/.well-known/shared-session.json`, {})).text) as { handoff: { seals: string; opens: string[] } }
    const signingKid = async () => {
      const r = await get(`${origins.hub}/refresh?return=${encodeURIComponent(`${origins.forum}/`)}`, { ...NAVIGATE, cookie: alice.header() })
      take(alice, r.cookies)
      const token = r.cookies.find((c) => /ss-token=/.test(c))!.split(';')[0]!.split('=')[1]!
      return (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid
    }
    const waitFor = async (what: string, check: () => Promise<boolean>, ms: number) => {
      const until = Date.now() + ms
      while (!(await check())) {
        if (Date.now() > until) throw new Error(`${what} did not happen within ${ms} ms\ncounts ${JSON.stringify(counts)} errors ${errors.length}: ${errors.slice(0, 5).join("\n")}\nhub: ${hub.stdout()}${hub.stderr()}\n${members.map((m) => m.out()).join('\n')}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    }

    try {
      await new Promise((r) => setTimeout(r, 1500))
      const firstKid = await signingKid()
      // 1. Signing keys.
      const rotated = await cli(['keys', 'rotate', '--overlap', String(OVERLAP)])
      assert.equal(rotated.code, 0, rotated.stderr)
      assert.match(rotated.stdout, /is published in the JWKS now and signs at .* \(in 8 s\)/)
      assert.match(rotated.stdout, /reload this file within 2 s, no restart/)
      assert.match(rotated.stdout, /shared-session config member shop .*--out shop\.json/)
      handOut()
      const newKid = (JSON.parse(readFileSync(join(dir, 'shared-session.json'), 'utf8')) as { keys: { signingKeys: Array<{ kid: string }> } }).keys.signingKeys[0]!.kid
      await waitFor('the running hub signing with the new key', async () => (await signingKid()) === newKid, (OVERLAP + 10) * 1000)
      assert.notEqual(newKid, firstKid)
      const tokensBefore = counts.token
      await waitFor('tokens signed by the new key read at the forum', async () => counts.token > tokensBefore + 5, 20_000)

      // 2. The handoff secret.
      const before = (await description()).handoff.seals
      const secret = await cli(['keys', 'rotate', '--secret', '--overlap', String(OVERLAP)])
      assert.equal(secret.code, 0, secret.stderr)
      assert.match(secret.stdout, /opens payloads now and seals at .* \(in 8 s\)/)
      handOut()
      await waitFor('the running hub sealing with the new secret', async () => (await description()).handoff.seals !== before, (OVERLAP + 10) * 1000)
      const pullsBefore = counts.pull
      await waitFor('pulls and pushes under the new secret', async () => counts.pull > pullsBefore + 5, 20_000)
    } finally {
      running = false
      await Promise.all(workers)
    }

    assert.deepEqual(errors.slice(0, 10), [], `${errors.length} errors`)
    assert.ok(counts.pull > 20 && counts.token > 20, `a real load: ${JSON.stringify(counts)}`)
    assert.deepEqual([hub.child.pid, ...members.map((m) => m.child.pid)], pids)
    assert.ok(hub.child.exitCode === null && members.every((m) => m.child.exitCode === null), 'no process restarted or died')
    assert.match(hub.stdout(), /keys reloaded from shared-session\.json/)
    for (const m of members) assert.ok((m.out().match(/^RELOADED /gm)?.length ?? 0) >= 2, `each member reloaded its file after each rotation:\n${m.out()}`)
    console.log(`# rotation under load: ${JSON.stringify(counts)} flows completed, 0 errors`)
  })
})
