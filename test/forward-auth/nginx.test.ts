import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { marksCookiesSecure } from '../../src/sites/site-cookies.js'
import { tokenCookieName } from '../../src/tokens/cookie-name.js'
import { CookieJar, loginOverHttp, logoutOverHttp } from '../helpers/http.js'
import { MALLORY, bound, confirmationTests } from './confirmation.js'
import { freePort, stopChild } from '../python/flask-app.js'

// A real nginx with auth_request in front of an app that knows nothing about
// logins, asking a real hub's /forward-auth. The config is the shipped
// examples/nginx/nginx.conf with its example names swapped for test ports.

const NGINX = '/usr/sbin/nginx'
const EXAMPLE = new URL('../../examples/nginx/nginx.conf', import.meta.url)

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

/** The example config, each example name replaced exactly once (a drifted example fails here, loudly). */
function testConfig(dir: string, ports: { nginx: number; hub: number; app: number }): string {
  const root = process.getuid?.() === 0
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, t)};`).join('\n')
  const swaps: Array<[string | RegExp, string]> = [
    // As root, workers would switch to "nobody", which cannot use the private temp dir.
    ['events {', `${root ? 'user root;\n' : ''}events {`],
    ['http {', `http {\n  access_log off;\n${temp}`],
    ['server 127.0.0.1:4000;', `server 127.0.0.1:${ports.hub};`],
    ['server 127.0.0.1:8080;', `server 127.0.0.1:${ports.app};`],
    ['listen 443 ssl;', `listen 127.0.0.1:${ports.nginx};`],
    [/\n *ssl_certificate .*/, ''],
    [/\n *ssl_certificate_key .*/, ''],
    ['server_name wiki.acme.com;', 'server_name wiki.acme.localhost;'],
  ]
  let config = readFileSync(EXAMPLE, 'utf8')
  for (const [from, to] of swaps) {
    const count = typeof from === 'string' ? config.split(from).length - 1 : (config.match(new RegExp(from, 'g')) ?? []).length
    assert.equal(count, 1, `examples/nginx/nginx.conf should contain ${from} exactly once`)
    config = config.replace(from, to)
  }
  return config
}

async function startNginx(dir: string, port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(NGINX, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', `daemon off; pid ${join(dir, 'nginx.pid')}; error_log stderr;`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.on('error', (err) => (output += `spawn failed: ${err.message}`))
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null || output.includes('spawn failed')) break
    try {
      await get(port, '/_ready', { host: 'wiki.acme.localhost' })
      return { child, output: () => output }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  await stopChild(child)
  throw new Error(`nginx did not start on 127.0.0.1:${port}:\n${output}`)
}

describe('nginx auth_request in front of an app, asking the hub\'s /forward-auth', () => {
  let hub: TestHub
  let dir: string
  let app: Server
  let nginx: { child: ChildProcess; output: () => string } | undefined
  let port: number
  /** What the protected app received. */
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = []
  let host: string
  let siteOrigin: string
  /** `ss-token` on this http test hub, `__Secure-ss-token` on an https one. */
  let TOKEN_COOKIE: string

  before(async () => {
    assert.ok(existsSync(NGINX), `${NGINX} is missing: run .ci/run (it installs nginx-light)`)
    dir = mkdtempSync(join(tmpdir(), 'ss-nginx-'))
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
    writeFileSync(join(dir, 'nginx.conf'), testConfig(dir, { nginx: port, hub: hub.port, app: (app.address() as AddressInfo).port }))
    nginx = await startNginx(dir, port)
    seen.length = 0
  })

  after(async () => {
    if (nginx) await stopChild(nginx.child)
    if (app) {
      app.closeAllConnections()
      await new Promise((resolve) => app.close(resolve))
    }
    await hub?.close().catch(() => {})
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function logIn(): Promise<CookieJar> {
    const jar = new CookieJar()
    const response = await loginOverHttp(hub, jar, { username: ALICE.username, password: ALICE.password })
    assert.equal(response.status, 303)
    assert.ok(jar.get(TOKEN_COOKIE), 'the hub set the parent-domain token cookie')
    return jar
  }

  /** A token, and the binding cookie of a browser in which the hub has confirmed it (see the round trip below). */
  const withToken = (token: string, extra: Record<string, string> = {}): Record<string, string> => ({ host, cookie: `${TOKEN_COOKIE}=${token}; ${bound(hub, token)}`, ...extra })

  test('before login: 302 to the hub\'s refresh for this URL (percent-encoded whole), and the app never sees the request', async () => {
    const answer = await get(port, '/wiki/page?x=1&y=2', { host, 'x-auth-user': 'mallory' })
    assert.equal(answer.status, 302)
    assert.equal(answer.headers.location, `${hub.origin}/refresh?return=${encodeURIComponent(`${siteOrigin}/wiki/page?x=1&y=2`)}`)
    assert.equal(seen.length, 0)

    // That URL is one the hub accepts: with a live hub session, refresh sends the browser straight back.
    const jar = await logIn()
    const refresh = await fetch(answer.headers.location!.replace(hub.origin, hub.url), { redirect: 'manual', headers: { cookie: jar.header() } })
    assert.equal(refresh.status, 302)
    assert.equal(refresh.headers.get('location'), `${siteOrigin}/wiki/page?x=1&y=2`)
  })

  test('after login: 200, and the app receives the user from the hub (a client\'s own X-Auth-User never passes)', async () => {
    const jar = await logIn()
    const token = jar.get(TOKEN_COOKIE)!
    const answer = await get(port, '/wiki/page', withToken(token, { 'x-auth-user': 'mallory' }))
    assert.equal(answer.status, 200, answer.body)
    assert.equal(answer.body, 'hello alice')
    assert.equal(seen.length, 1)
    const headers = seen[0]!.headers
    assert.equal(headers['x-auth-user'], 'alice')
    assert.equal(headers['x-auth-sub'], decodeJwt(token).sub)
    assert.equal(headers['x-auth-email'], ALICE.email)
    assert.equal(headers['x-auth-name'], ALICE.name)
    seen.length = 0
  })

  test('after logout at the hub, the same old cookie is sent to the hub again: 302, revocation honoured', async () => {
    const jar = await logIn()
    const token = jar.get(TOKEN_COOKIE)!
    assert.equal((await get(port, '/wiki/page', withToken(token))).status, 200)
    const logout = await logoutOverHttp(hub, jar)
    assert.equal(logout.status, 303)
    seen.length = 0
    const replay = await get(port, '/wiki/page', withToken(token))
    assert.equal(replay.status, 302)
    assert.match(String(replay.headers.location), /\/refresh\?return=/)
    assert.equal(seen.length, 0)
  })

  test('garbage cookies and bearer tokens are a 302 to the hub, never a 5xx', async () => {
    const garbage = ['x', 'a.b.c', 'e30.e30.e30', '%00%ff', '"quoted"', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.', 'A'.repeat(4000)]
    for (const value of garbage) {
      const answer = await get(port, '/wiki/page', { host, cookie: `${TOKEN_COOKIE}=${value}` })
      assert.equal(answer.status, 302, `cookie ${value.slice(0, 40)}: ${answer.status} ${answer.body.slice(0, 200)}`)
    }
    const bearer = await get(port, '/wiki/page', { host, authorization: 'Bearer not.a.token' })
    assert.equal(bearer.status, 302)
    assert.equal(seen.length, 0)
    assert.doesNotMatch(nginx!.output(), /\[(error|crit|alert|emerg)\]/, 'nginx logged no error')
  })

  describe('token confirmation through nginx: @login asks the hub in redirect mode, /_session/confirm maps to the hub', () => {
    confirmationTests(() => ({ hub, siteOrigin, proxyPort: port, seen }))
  })

  describe('Traefik forwardAuth / Caddy forward_auth style: /forward-auth?redirect=1 with X-Forwarded-*', () => {
    const forwardAuth = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${hub.url}/forward-auth?redirect=1`, { redirect: 'manual', headers })

    test('a configured site: 302 to refresh with the original URL as return', async () => {
      const answer = await forwardAuth({ 'x-forwarded-proto': 'http', 'x-forwarded-host': host, 'x-forwarded-uri': '/wiki/page?x=1&y=2' })
      assert.equal(answer.status, 302)
      assert.equal(answer.headers.get('location'), `${hub.origin}/refresh?return=${encodeURIComponent(`${siteOrigin}/wiki/page?x=1&y=2`)}`)
    })

    test('a host that is not a configured site: refresh without any return (never an open redirect)', async () => {
      for (const forwarded of [
        { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', 'x-forwarded-uri': '/' },
        { 'x-forwarded-proto': 'http', 'x-forwarded-host': `${host}@evil.example`, 'x-forwarded-uri': '/' },
        { 'x-forwarded-proto': 'http', 'x-forwarded-host': host, 'x-forwarded-uri': '@evil.example/' },
        { 'x-forwarded-proto': 'http', 'x-forwarded-host': host, 'x-forwarded-uri': '.evil.example/' },
        { 'x-forwarded-proto': 'javascript', 'x-forwarded-host': host, 'x-forwarded-uri': '/' },
      ]) {
        const answer = await forwardAuth(forwarded)
        assert.equal(answer.status, 302)
        assert.equal(answer.headers.get('location'), `${hub.origin}/refresh`, JSON.stringify(forwarded))
      }
    })

    test('a valid token: 200 with the user in X-Auth-* headers', async () => {
      const jar = await logIn()
      const answer = await forwardAuth({ cookie: `${jar.header()}; ${bound(hub, jar.get(TOKEN_COOKIE)!)}`, 'x-forwarded-proto': 'http', 'x-forwarded-host': host, 'x-forwarded-uri': '/' })
      assert.equal(answer.status, 200)
      assert.equal(answer.headers.get('x-auth-user'), 'alice')
      assert.equal(answer.headers.get('cache-control'), 'no-store')
    })
  })

  // Last: it stops the hub.
  test('the hub down: an honest 503 page with Retry-After, never a bare 500, and the app never sees the request', async () => {
    const jar = await logIn()
    const token = jar.get(TOKEN_COOKIE)!
    await hub.close()
    seen.length = 0
    for (const [what, headers] of [['no token', { host }], ['a confirmed token', withToken(token)]] as const) {
      const answer = await get(port, '/wiki/page', headers)
      assert.equal(answer.status, 503, `${what}: ${answer.status} ${answer.body.slice(0, 200)}`)
      assert.equal(answer.headers['retry-after'], '5', what)
      assert.match(answer.body, /sign-in service cannot be reached/, what)
      assert.match(answer.body, /ERR_HUB_UNAVAILABLE/, what)
    }
    assert.equal(seen.length, 0)
  })
})
