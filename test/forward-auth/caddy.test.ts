import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { stopChild } from '../helpers/child.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { marksCookiesSecure } from '../../src/sites/site-cookies.js'
import { tokenCookieName } from '../../src/tokens/cookie-name.js'
import { CookieJar, loginOverHttp, logoutOverHttp } from '../helpers/http.js'
import { MALLORY, bound, confirmationTests } from './confirmation.js'
import { freePort } from '../python/flask-app.js'

// A real Caddy (Debian's caddy) with forward_auth in front of an app that
// knows nothing about logins, asking a real hub's /forward-auth. The config is
// the shipped examples/caddy/Caddyfile with its example names swapped for test ports.

const CADDY = '/usr/bin/caddy'
const EXAMPLE = new URL('../../examples/caddy/Caddyfile', import.meta.url)

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** GET through node:http, which (unlike fetch) lets us send the site's Host name to 127.0.0.1. */
function get(port: number, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${path} timed out`)))
    req.on('error', reject)
    req.end()
  })
}

/** The example Caddyfile, each example name replaced exactly as often as it appears (a drifted example fails here). */
function testConfig(ports: { caddy: number; hub: number; app: number }): string {
  // Test-only global options: no admin endpoint, no certificates, nothing written to $HOME.
  let config = `{\n\tadmin off\n\tauto_https off\n}\n\n${readFileSync(EXAMPLE, 'utf8')}`
  const swaps: Array<[string, string, number]> = [
    ['wiki.acme.com {', `http://wiki.acme.localhost:${ports.caddy} {\n\tbind 127.0.0.1`, 1],
    ['127.0.0.1:4000 {', `127.0.0.1:${ports.hub} {`, 2],
    ['reverse_proxy 127.0.0.1:4000\n', `reverse_proxy 127.0.0.1:${ports.hub}\n`, 1],
    ['reverse_proxy 127.0.0.1:8080', `reverse_proxy 127.0.0.1:${ports.app}`, 1],
    ['== "127.0.0.1:4000"', `== "127.0.0.1:${ports.hub}"`, 1],
  ]
  for (const [from, to, times] of swaps) {
    assert.equal(config.split(from).length - 1, times, `examples/caddy/Caddyfile should contain ${from} ${times} time(s)`)
    config = config.replaceAll(from, to)
  }
  return config
}

async function startCaddy(dir: string, port: number, host: string): Promise<{ child: ChildProcess; output: () => string }> {
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') }
  const child = spawn(CADDY, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.on('error', (err) => (output += `spawn failed: ${err.message}`))
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null || output.includes('spawn failed')) break
    try {
      await get(port, '/_ready', { host })
      return { child, output: () => output }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  await stopChild(child)
  throw new Error(`caddy did not start on 127.0.0.1:${port}:\n${output}`)
}

describe("Caddy forward_auth in front of an app, asking the hub's /forward-auth", () => {
  let hub: TestHub
  let dir: string
  let app: Server
  let caddy: { child: ChildProcess; output: () => string } | undefined
  let port: number
  let host: string
  let siteOrigin: string
  /** `ss-token` on this http test hub, `__Secure-ss-token` on an https one. */
  let TOKEN_COOKIE: string
  /** What the protected app received. */
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = []

  before(async () => {
    assert.ok(existsSync(CADDY), `${CADDY} is missing: run scripts/setup.sh (it installs caddy)`)
    dir = mkdtempSync(join(tmpdir(), 'ss-caddy-'))
    app = createServer((req, res) => {
      seen.push({ url: req.url!, headers: req.headers })
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello ${req.headers['x-auth-user'] ?? 'nobody'}`)
    })
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
    port = await freePort()
    host = `wiki.acme.localhost:${port}`
    siteOrigin = `http://${host}`
    hub = await startTestHub({ sites: [{ name: 'wiki', origin: siteOrigin, member: false }] })
    await hub.users.add(MALLORY)
    TOKEN_COOKIE = tokenCookieName(marksCookiesSecure(hub.origin))
    writeFileSync(join(dir, 'Caddyfile'), testConfig({ caddy: port, hub: hub.port, app: (app.address() as AddressInfo).port }))
    caddy = await startCaddy(dir, port, host)
    seen.length = 0
  })

  after(async () => {
    if (caddy) await stopChild(caddy.child)
    if (app) {
      app.closeAllConnections()
      await new Promise((resolve) => app.close(resolve))
    }
    await hub?.close().catch(() => {})
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function logIn(user: { username: string; password: string } = ALICE): Promise<string> {
    const jar = new CookieJar()
    const response = await loginOverHttp(hub, jar, user)
    assert.equal(response.status, 303)
    const token = jar.get(TOKEN_COOKIE)
    assert.ok(token, 'the hub set the parent-domain token cookie')
    return token
  }

  const page = (extra: Record<string, string> = {}): Record<string, string> => ({ host, accept: 'text/html', ...extra })

  test("before login: a browser gets a 302 to the hub's refresh for this URL, a program a 401 with the code; the app sees neither", async () => {
    const answer = await get(port, '/wiki/page?x=1&y=2', page({ 'x-auth-user': 'mallory' }))
    assert.equal(answer.status, 302)
    assert.equal(answer.headers.location, `${hub.origin}/refresh?return=${encodeURIComponent(`${siteOrigin}/wiki/page?x=1&y=2`)}`)

    const api = await get(port, '/wiki/api', { host, accept: 'application/json', 'x-auth-user': 'mallory' })
    assert.equal(api.status, 401)
    assert.equal(JSON.parse(api.body).error, 'ERR_NOT_AUTHENTICATED')
    assert.equal(seen.length, 0)
  })

  test('after login: 200, and the app receives the user from the hub, never what a client sent', async () => {
    const token = await logIn()
    const answer = await get(port, '/wiki/page', page({ cookie: `${TOKEN_COOKIE}=${token}; ${bound(hub, token)}`, 'x-auth-user': 'mallory' }))
    assert.equal(answer.status, 200, answer.body)
    assert.equal(answer.body, 'hello alice')
    const headers = seen.at(-1)!.headers
    assert.equal(headers['x-auth-user'], 'alice')
    assert.equal(headers['x-auth-sub'], decodeJwt(token).sub)
    assert.equal(headers['x-auth-email'], ALICE.email)
    assert.equal(headers['x-auth-name'], ALICE.name)

    // A program with a bearer token passes the same way.
    const api = await get(port, '/wiki/api', { host, accept: 'application/json', authorization: `Bearer ${token}` })
    assert.equal(api.status, 200, api.body)
    assert.equal(seen.at(-1)!.headers['x-auth-user'], 'alice')
  })

  test('a user without an e-mail: a client-made X-Auth-Email is dropped, not passed on', async () => {
    await hub.users.add({ username: 'bob', password: 'bob-password-1' })
    const token = await logIn({ username: 'bob', password: 'bob-password-1' })
    const answer = await get(port, '/wiki/page', page({ cookie: `${TOKEN_COOKIE}=${token}; ${bound(hub, token)}`, 'x-auth-email': 'ceo@acme.example', 'x-auth-name': 'The CEO' }))
    assert.equal(answer.status, 200, answer.body)
    const headers = seen.at(-1)!.headers
    assert.equal(headers['x-auth-user'], 'bob')
    assert.equal(headers['x-auth-email'], undefined)
    assert.equal(headers['x-auth-name'], undefined)
  })

  test('after logout at the hub, the same old cookie is refused: 302 for a browser, 401 for a program', async () => {
    const jar = new CookieJar()
    assert.equal((await loginOverHttp(hub, jar, ALICE)).status, 303)
    const token = jar.get(TOKEN_COOKIE)!
    assert.equal((await get(port, '/wiki/page', page({ cookie: `${TOKEN_COOKIE}=${token}; ${bound(hub, token)}` }))).status, 200)
    assert.equal((await logoutOverHttp(hub, jar)).status, 303)
    seen.length = 0
    const replay = await get(port, '/wiki/page', page({ cookie: `${TOKEN_COOKIE}=${token}; ${bound(hub, token)}` }))
    assert.equal(replay.status, 302)
    assert.match(String(replay.headers.location), /\/refresh\?return=/)
    const api = await get(port, '/wiki/api', { host, accept: 'application/json', authorization: `Bearer ${token}` })
    assert.equal(api.status, 401)
    assert.equal(seen.length, 0)
  })

  test('member: false, as the example says: a sign-in for the wiki lands on it straight, where a member would be walked through its /_session/sync', async () => {
    const back = `${siteOrigin}/wiki/page`
    const signIn = await loginOverHttp(hub, new CookieJar(), { ...ALICE, return: back })
    assert.equal(signIn.status, 303)
    assert.equal(signIn.headers.get('location'), back)

    const misconfigured = await startTestHub({ sites: [{ name: 'wiki', origin: siteOrigin }] })
    try {
      const walked = await loginOverHttp(misconfigured, new CookieJar(), { ...ALICE, return: back })
      assert.match(String(walked.headers.get('location')), new RegExp(`^${siteOrigin}/_session/sync\\?`))
      // Behind Caddy that path is just another page of the app, which has no such endpoint.
    } finally {
      await misconfigured.close()
    }
  })

  describe('token confirmation through Caddy: forward_auth in redirect mode, /_session/confirm mapped to the hub', () => {
    confirmationTests(() => ({ hub, siteOrigin, proxyPort: port, seen }))

    test('a program with an unconfirmed token cookie gets the hub\'s 401 ERR_TOKEN_UNCONFIRMED, never a redirect', async () => {
      const token = await logIn()
      const api = await get(port, '/wiki/api', { host, accept: 'application/json', cookie: `${TOKEN_COOKIE}=${token}` })
      assert.equal(api.status, 401)
      assert.equal(JSON.parse(api.body).error, 'ERR_TOKEN_UNCONFIRMED')
    })
  })

  test('garbage cookies and bearer tokens are refused, never a 5xx, and Caddy logs no error', async () => {
    for (const value of ['x', 'a.b.c', 'e30.e30.e30', '%00%ff', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.', 'A'.repeat(4000)]) {
      const answer = await get(port, '/wiki/page', page({ cookie: `${TOKEN_COOKIE}=${value}` }))
      assert.equal(answer.status, 302, `cookie ${value.slice(0, 40)}: ${answer.status} ${answer.body.slice(0, 200)}`)
    }
    const bearer = await get(port, '/wiki/api', { host, accept: 'application/json', authorization: 'Bearer not.a.token' })
    assert.equal(bearer.status, 401)
    assert.equal(seen.length, 0)
    assert.doesNotMatch(caddy!.output(), /"level":"error"/, 'caddy logged no error')
  })

  // Last: it stops the hub.
  test('the hub down: an honest 503 page with Retry-After, never a bare 502, and the app never sees the request', async () => {
    const token = await logIn()
    await hub.close()
    seen.length = 0
    for (const [what, headers] of [['no token', page()], ['a confirmed token', page({ cookie: `${TOKEN_COOKIE}=${token}; ${bound(hub, token)}` })]] as const) {
      const answer = await get(port, '/wiki/page', headers)
      assert.equal(answer.status, 503, `${what}: ${answer.status} ${answer.body.slice(0, 200)}`)
      assert.equal(answer.headers['retry-after'], '5', what)
      assert.match(String(answer.headers['content-type']), /text\/html/, what)
      assert.match(answer.body, /sign-in service cannot be reached/, what)
    }
    assert.equal(seen.length, 0)
  })
})
