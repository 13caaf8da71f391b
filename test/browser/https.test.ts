/**
 * https for local use: the self-signed certificate made in memory, the demo
 * as `shared-session demo --https` starts it (the `__Host-`, `Secure`
 * cookies of production) against plain http (cookies every engine keeps),
 * and `serve --tls-cert/--tls-key`.
 */
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { createSelfSignedCertificate } from '../../src/demo/self-signed-certificate.js'
import { assertOneLineError, freePort, freePortRange, runCli, startCli } from '../cli/run-cli.js'

/** A GET to a `*.localhost` name on 127.0.0.1: over https trusting only `ca`, or plain http without it. */
function httpsGet(url: string, ca: string | null, headers: Record<string, string> = {}): Promise<{ status: number; location: string; setCookie: string[]; body: string }> {
  const u = new URL(url)
  const options = { host: '127.0.0.1', port: u.port, path: u.pathname + u.search, headers: { host: u.host, ...headers } }
  return new Promise((resolve, reject) => {
    const done = (res: import('node:http').IncomingMessage) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? '', setCookie: res.headers['set-cookie'] ?? [], body }))
    }
    const req = ca === null ? httpRequest(options, done) : request({ ...options, servername: u.hostname, ca }, done)
    req.once('error', reject)
    req.end()
  })
}

/** What a browser sends on a top-level navigation: the requests a member bounces. */
const NAVIGATION = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'sec-fetch-site': 'none', accept: 'text/html' }

describe('self-signed certificate', () => {
  test('covers the demo names and 127.0.0.1, is no CA, verifies with its own key, and is refused for another name', () => {
    const names = ['localhost', '*.localhost', '*.acme.localhost', 'shop.localhost', 'auth.acme.localhost']
    const x = new X509Certificate(createSelfSignedCertificate(names).cert)
    assert.equal(x.subjectAltName, `${names.map((n) => `DNS:${n}`).join(', ')}, IP Address:127.0.0.1`)
    assert.equal(x.ca, false)
    assert.ok(x.verify(x.publicKey), 'self-signed: its signature verifies with its own key')
    assert.equal(x.checkHost('shop.localhost'), 'shop.localhost')
    assert.equal(x.checkHost('forum.acme.localhost'), '*.acme.localhost')
    assert.equal(x.checkHost('shop.example.com'), undefined)
    assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1')
    const days = (Date.parse(x.validTo) - Date.now()) / 86_400_000
    assert.ok(days > 364 && days < 366, `valid for a year, got ${days} days`)
  })

  test('two certificates never share a key or a serial', () => {
    const [a, b] = [createSelfSignedCertificate(['localhost']), createSelfSignedCertificate(['localhost'])]
    assert.notEqual(a.key, b.key)
    assert.notEqual(new X509Certificate(a.cert).serialNumber, new X509Certificate(b.cert).serialNumber)
  })

  test('refuses names that are not DNS names', () => {
    for (const bad of [[], ['shop localhost'], ['a/b'], ['*']]) assert.throws(() => createSelfSignedCertificate(bad), /DNS names/)
  })
})

describe('shared-session demo, http and --https', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-https-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('--https serves every site over TLS with the certificate it wrote, and a bounce sets __Host-, Secure cookies', async () => {
    const base = await freePortRange(4)
    const demo = await startCli(['demo', '--https', '--memory', '--port-base', String(base), '--data-dir', dir], { cwd: dir, ready: /Ctrl-C stops/ })
    try {
      assert.match(demo.stdout(), /https:\/\/shop\.localhost:\d+\//)
      const ca = readFileSync(join(dir, 'demo-certificate.pem'), 'utf8')
      for (const [i, host] of ['auth.acme.localhost', 'forum.acme.localhost', 'shop.localhost', 'shop-de.localhost'].entries()) {
        const r = await httpsGet(`https://${host}:${base + i}/`, ca, NAVIGATION)
        assert.ok(r.status >= 200 && r.status < 400, `${host}: ${r.status}`)
      }
      const bounce = await httpsGet(`https://shop.localhost:${base + 2}/`, ca, NAVIGATION)
      assert.match(`${bounce.status} ${bounce.location}`, new RegExp(`^30[23] https://auth\\.acme\\.localhost:${base}/pull\\?`), 'a bounce to the hub')
      const state = bounce.setCookie.find((c) => c.includes('ss-state'))
      assert.match(state ?? '', /^__Host-ss-state[^=;]*=[^;]+;.*; Secure/i, `the state cookie: ${bounce.setCookie.join(' | ')}`)
      // TLS really is required: plain http to the same port gets no page.
      await assert.rejects(fetch(`http://127.0.0.1:${base + 2}/`).then((r) => r.text()))
    } finally {
      await demo.stop('SIGTERM')
    }
  })

  test('plain http (npm start) sets first-party cookies with no Secure and no prefix, which WebKit keeps', async () => {
    const base = await freePortRange(4)
    const demo = await startCli(['demo', '--memory', '--port-base', String(base), '--data-dir', dir], { cwd: dir, ready: /Ctrl-C stops/ })
    try {
      const bounce = await httpsGet(`http://shop.localhost:${base + 2}/`, null, NAVIGATION)
      assert.match(`${bounce.status} ${bounce.location}`, new RegExp(`^30[23] http://auth\\.acme\\.localhost:${base}/pull\\?`), 'a bounce to the hub')
      const state = bounce.setCookie.find((c) => c.includes('ss-state'))
      assert.match(state ?? '', /^ss-state[^=;]*=[^;]+;/, `the state cookie: ${bounce.setCookie.join(' | ')}`)
      assert.doesNotMatch(state ?? '', /Secure/i)
    } finally {
      await demo.stop('SIGTERM')
    }
  })
})

describe('shared-session serve --tls-cert/--tls-key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-serve-tls-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('serves the hub over https with the given PEM files', async () => {
    const port = await freePort()
    const { cert, key } = createSelfSignedCertificate(['localhost', 'auth.localhost'])
    writeFileSync(join(dir, 'cert.pem'), cert)
    writeFileSync(join(dir, 'key.pem'), key)
    const init = await runCli(['init', '--origin', `https://auth.localhost:${port}`], { cwd: dir })
    assert.equal(init.code, 0, init.stderr)
    const hub = await startCli(['serve', '-p', String(port), '--tls-cert', 'cert.pem', '--tls-key', 'key.pem'], { cwd: dir, ready: /listening on .* over https/ })
    try {
      const jwks = await httpsGet(`https://auth.localhost:${port}/.well-known/jwks.json`, cert)
      assert.equal(jwks.status, 200)
      assert.ok((JSON.parse(jwks.body) as { keys: unknown[] }).keys.length > 0)
      const login = await httpsGet(`https://auth.localhost:${port}/login`, cert, NAVIGATION)
      assert.match(login.setCookie.find((c) => c.includes('ss-csrf=')) ?? '', /^__Host-ss-csrf=[^;]+;.*; Secure/i)
    } finally {
      await hub.stop('SIGTERM')
    }
  })

  test('one of the two, a missing file or a file that is no PEM: one clear line, exit non-zero', async () => {
    writeFileSync(join(dir, 'not-pem.txt'), 'hello')
    assertOneLineError(await runCli(['serve', '--tls-cert', 'cert.pem'], { cwd: dir }), /--tls-cert and --tls-key go together/)
    assertOneLineError(await runCli(['serve', '--tls-cert', 'nope.pem', '--tls-key', 'key.pem'], { cwd: dir }), /--tls-cert nope\.pem: no such file/)
    assertOneLineError(await runCli(['serve', '--tls-cert', 'not-pem.txt', '--tls-key', 'key.pem'], { cwd: dir }), /not a PEM file/)
  })
})
