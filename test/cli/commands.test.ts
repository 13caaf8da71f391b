import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { decodeJwt } from 'jose'
import { sidDigest } from '../../src/confirm/cookies.js'
import { CookieJar, loginOverHttp } from '../helpers/http.js'
import { assertOneLineError, freePort, freePortRange, runCli, startCli, type CliResult, type RunningCli } from './run-cli.js'

const PASSWORD = 'correct horse battery'
const NEW_PASSWORD = 'staple of the battery'
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
const READY = /listening on .*\n[\s\S]*forward-auth/

/** Everything a person does with the CLI, in order, from an empty folder. */
describe('shared-session, used from a clean folder', () => {
  let dir: string
  let port: number
  let origin: string
  let url: string
  const running = new Set<RunningCli>()
  const cli = (args: string[], input?: string, env?: Record<string, string>) => runCli(args, { cwd: dir, ...(input !== undefined ? { input } : {}), ...(env ? { env } : {}) })
  const serve = async (args: string[] = []) => {
    const s = await startCli(['serve', ...args], { cwd: dir, ready: READY })
    running.add(s)
    return s
  }
  const stop = async (s: RunningCli, signal: NodeJS.Signals = 'SIGTERM') => {
    const r = await s.stop(signal)
    running.delete(s)
    return r
  }
  const jwksKids = async () => {
    const response = await fetch(`${url}/.well-known/jwks.json`)
    assert.equal(response.status, 200)
    const jwks = (await response.json()) as { keys: Array<{ kid: string; d?: string }> }
    for (const key of jwks.keys) assert.equal(key.d, undefined, 'no private part in the JWKS')
    return jwks.keys.map((k) => k.kid)
  }
  const listedKids = async () => {
    const r = await cli(['keys', 'list'])
    assert.equal(r.code, 0, r.stderr)
    return r.stdout.split('\n').filter((l) => /\t(EdDSA|ES256|HS256)\t/.test(l)).map((l) => l.split('\t')[0]!)
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ss-cli-'))
    port = await freePort()
    origin = `http://auth.acme.localhost:${port}`
    url = `http://127.0.0.1:${port}`
  })
  after(async () => {
    await Promise.all([...running].map((s) => s.stop('SIGKILL')))
    rmSync(dir, { recursive: true, force: true })
  })

  test('init writes a mode-600 configuration for the given origin and parent domain', async () => {
    const r = await cli(['init', '--origin', origin, '--parent-domain', 'acme.localhost'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /wrote shared-session\.json/)
    const file = join(dir, 'shared-session.json')
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const config = JSON.parse(readFileSync(file, 'utf8'))
    assert.equal(config.hub.origin, origin)
    assert.equal(config.hub.parentDomain, 'acme.localhost')
    assert.equal(config.listen.port, port)
    assert.equal(config.keys.signingKeys.length, 1)
  })

  test('a second init refuses without --force and leaves the file (and its keys) alone', async () => {
    const before = readFileSync(join(dir, 'shared-session.json'), 'utf8')
    assertOneLineError(await cli(['init', '--origin', origin]), /already exists; pass --force/)
    assert.equal(readFileSync(join(dir, 'shared-session.json'), 'utf8'), before)
  })

  test('the fresh file passes the doctor, which warns that it has no sites yet', async () => {
    const r = await cli(['doctor'])
    assert.equal(r.code, 0, r.stdout)
    assert.match(r.stdout, /^warning sites: no sites are configured/m)
    assert.match(r.stdout, /0 error\(s\), 1 warning\(s\)/)
  })

  test('users add reads the password from stdin; users list shows the user', async () => {
    const added = await cli(['users', 'add', 'alice', '--email', 'alice@acme.localhost', '--name', 'Alice Liddell'], `${PASSWORD}\n`)
    assert.equal(added.code, 0, added.stderr)
    assert.match(added.stdout, /added alice \(u_/)
    assert.doesNotMatch(added.stdout + added.stderr, new RegExp(PASSWORD), 'the password is never echoed')
    const list = await cli(['users', 'list'])
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, /^alice\talice@acme\.localhost\tAlice Liddell\tu_\S+\t\d{4}-/m)
    assert.doesNotMatch(list.stdout, /scrypt|\$/, 'no hash in the listing')
    assertOneLineError(await cli(['users', 'add', 'alice'], `${PASSWORD}\n`), /user "alice" already exists/)
  })

  test('serve answers the JWKS and the login form on 127.0.0.1', async () => {
    const hub = await serve()
    try {
      assert.match(hub.stdout(), new RegExp(`shared-session hub: ${origin} \\(listening on 127\\.0\\.0\\.1:${port}`))
      assert.deepEqual(await jwksKids(), await listedKids())
      const form = await fetch(`${url}/login`)
      assert.equal(form.status, 200)
      assert.match(form.headers.get('content-type') ?? '', /text\/html/)
      const html = await form.text()
      assert.match(html, /<form[^>]+method="post"/i)
      assert.match(html, /name="csrf"/)
      assert.match(html, /type="password"/)
    } finally {
      const r = await stop(hub, 'SIGINT')
      assert.equal(r.code, 0, `Ctrl-C stops serve cleanly: ${r.stderr}`)
      assert.equal(r.stderr, '')
    }
  })

  describe('with the hub running', () => {
    let hub: RunningCli
    const hubAt = () => ({ url, origin })
    before(async () => {
      hub = await serve()
    })
    after(async () => {
      const r = await stop(hub)
      assert.equal(r.code, 0, `SIGTERM stops serve cleanly: ${r.stderr}`)
    })

    test('users passwd changes the password the running hub checks', async () => {
      const r = await cli(['users', 'passwd', 'alice'], `${NEW_PASSWORD}\n`)
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /password of alice changed/)
      assert.equal((await loginOverHttp(hubAt(), new CookieJar(), { username: 'alice', password: PASSWORD })).status, 401)
      assert.equal((await loginOverHttp(hubAt(), new CookieJar(), { username: 'alice', password: NEW_PASSWORD })).status, 303)
    })

    test('sessions list shows a real login; sessions revoke ends it everywhere, forward-auth included', async () => {
      // The previous test's login left one session; this browser adds a second.
      const jar = new CookieJar()
      const login = await loginOverHttp(hubAt(), jar, { username: 'alice', password: NEW_PASSWORD }, { 'user-agent': FIREFOX })
      assert.equal(login.status, 303)
      // Named __Secure-ss-token on a hub that marks cookies Secure, ss-token on an http hub (*.localhost included, for WebKit).
      const token = jar.get('__Secure-ss-token') ?? jar.get('ss-token')
      assert.ok(token, 'the parent-domain token cookie is set')
      // With the binding cookie of a browser whose token the hub has confirmed (forward-auth asks for it).
      const bound = `${jar.get('__Secure-ss-token') ? '__Host-' : ''}ss-bound=${sidDigest(decodeJwt(token).sid as string)}.-`
      const allowed = await fetch(`${url}/forward-auth`, { headers: { cookie: `${jar.header()}; ${bound}` } })
      assert.equal(allowed.status, 200)
      assert.equal(allowed.headers.get('x-auth-user'), 'alice')
      assert.equal(allowed.headers.get('x-auth-email'), 'alice@acme.localhost')

      const listed = await cli(['sessions', 'list', 'alice'])
      assert.equal(listed.code, 0, listed.stderr)
      // As "Your sessions" shows them: per device, then the sites holding it and how they got it.
      const devices = listed.stdout.split('\n').filter((line) => line.startsWith('session '))
      assert.equal(devices.length, 2, listed.stdout)
      for (const line of devices) assert.match(line, /^session \S{22}\t[^\t]+\t\S+\tfirst seen \d{4}-.*\tlast seen \d{4}-/)
      assert.match(listed.stdout, /^session \S{22}\tFirefox on Linux\t\S*127\.0\.0\.1\tfirst seen /m)
      assert.match(listed.stdout, /^ {2}site hub\tvia login\tsince \d{4}-/m)
      assert.ok(!listed.stdout.includes((jar.get('__Host-ss') ?? jar.get('ss'))!.slice(0, 12)), 'no cookie value in the listing')

      const revoked = await cli(['sessions', 'revoke', 'alice'])
      assert.equal(revoked.code, 0, revoked.stderr)
      assert.match(revoked.stdout, /revoked 2 session\(s\) of alice/)
      assert.match((await cli(['sessions', 'list', 'alice'])).stdout, /alice has no live sessions/)

      const denied = await fetch(`${url}/forward-auth`, { headers: { cookie: `${jar.header()}; ${bound}` } })
      assert.equal(denied.status, 401, 'the revoked token no longer resolves, though it has not expired')
      assert.equal(denied.headers.get('x-auth-user'), null)
      const bearer = await fetch(`${url}/forward-auth`, { headers: { authorization: `Bearer ${token}` } })
      assert.equal(bearer.status, 401)
    })
  })

  test('keys rotate adds a signing key; keys list shows both; a restarted serve publishes both', async () => {
    const old = JSON.parse(readFileSync(join(dir, 'shared-session.json'), 'utf8')).keys.signingKeys[0].kid as string
    const r = await cli(['keys', 'rotate', '--overlap', '0'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /rotated: \S+ is published in the JWKS now and signs now/)
    const list = await cli(['keys', 'list'])
    const kids = list.stdout.split('\n').filter((l) => l.includes('\tEdDSA\t')).map((l) => l.split('\t')[0]!)
    assert.equal(kids.length, 2, list.stdout)
    assert.equal(kids[1], old, 'the old key stays, second')
    assert.notEqual(kids[0], old)
    assert.match(list.stdout, new RegExp(`^${kids[0]}\\tEdDSA\\tsigns \\+ verifies$`, 'm'))
    assert.match(list.stdout, new RegExp(`^${old}\\tEdDSA\\tverifies$`, 'm'))
    assert.doesNotMatch(list.stdout, /"d"|secret":/, 'no secrets printed')
    assert.equal(statSync(join(dir, 'shared-session.json')).mode & 0o777, 0o600, 'still mode 600 after rewriting')

    const hub = await serve()
    try {
      assert.deepEqual((await jwksKids()).sort(), [...kids].sort())
    } finally {
      await stop(hub)
    }
  })

  test('keys rotate --secret keeps the previous master secret, and serve still starts', async () => {
    const file = join(dir, 'shared-session.json')
    const before = JSON.parse(readFileSync(file, 'utf8'))
    const r = await cli(['keys', 'rotate', '--secret', '--overlap', '0'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /rotated the master secret/)
    assert.match(r.stdout, /master secret: set \(1 previous kept\)/)
    assert.doesNotMatch(r.stdout, new RegExp(before.keys.secret), 'the secret is never printed')
    const after = JSON.parse(readFileSync(file, 'utf8'))
    assert.notEqual(after.keys.secret, before.keys.secret)
    assert.deepEqual(after.keys.previousSecrets, [before.keys.secret])
    assert.deepEqual(after.keys.signingKeys, before.keys.signingKeys)
    const hub = await serve()
    await stop(hub)
  })

  describe('every failure is one clear line and a non-zero exit', () => {
    let empty: string
    before(() => {
      empty = mkdtempSync(join(tmpdir(), 'ss-cli-empty-'))
    })
    after(() => rmSync(empty, { recursive: true, force: true }))

    test('no configuration file', async () => {
      const missing = /no configuration at shared-session\.json; create one with `shared-session init`/
      const [serveResult, usersResult, keysResult, elsewhere] = await Promise.all([
        runCli(['serve'], { cwd: empty }),
        runCli(['users', 'add', 'bob'], { cwd: empty, input: `${PASSWORD}\n` }),
        runCli(['keys', 'list'], { cwd: empty }),
        runCli(['sessions', 'list', 'alice', '--config', 'nope/elsewhere.json'], { cwd: empty }),
      ])
      assertOneLineError(serveResult!, missing)
      assertOneLineError(usersResult!, missing)
      assertOneLineError(keysResult!, missing)
      assertOneLineError(elsewhere!, /no configuration at nope\/elsewhere\.json/)
      assert.deepEqual(readdirSync(empty), [], 'nothing created on the way')
    })

    test('a store URL of an unknown kind', async () => {
      const env = { SHARED_SESSION_STORE: 'mysql://x' }
      const results = await Promise.all([cli(['serve'], undefined, env), cli(['sessions', 'list', 'alice'], undefined, env)])
      for (const r of results) assertOneLineError(r, /store:? URL "mysql:\/\/x" is not one of sqlite:<path>, .*redis:\/\/host:port\[\/db\]/)
    })

    test('the store is down', async () => {
      const closed = await freePort()
      const line = assertOneLineError(await cli(['serve'], undefined, { SHARED_SESSION_STORE: `redis://127.0.0.1:${closed}` }), new RegExp(`cannot reach the store redis://127\\.0\\.0\\.1:${closed}`))
      assert.match(line, /ECONNREFUSED/)
    })

    test('the port is in use (by --port and by SHARED_SESSION_PORT)', async () => {
      const occupier: Server = createServer()
      await new Promise<void>((resolve) => occupier.listen(0, '127.0.0.1', resolve))
      const taken = (occupier.address() as { port: number }).port
      try {
        const results = await Promise.all([cli(['serve', '--port', String(taken)]), cli(['serve'], undefined, { SHARED_SESSION_PORT: String(taken) })])
        for (const r of results) assertOneLineError(r, new RegExp(`port ${taken} is already in use`))
      } finally {
        await new Promise((resolve) => occupier.close(resolve))
      }
    })

    test('users add with a too-short password, an empty stdin, or a bad e-mail adds nobody', async () => {
      const [short, none, email] = await Promise.all([
        cli(['users', 'add', 'bob'], 'short\n'),
        cli(['users', 'add', 'bob'], ''),
        cli(['users', 'add', 'bob', '--email', 'not-an-address'], `${PASSWORD}\n`),
      ])
      assertOneLineError(short!, /a password must have 8 to \d+ characters/)
      assertOneLineError(none!, /a password must have/)
      assertOneLineError(email!, /is not an e-mail address/)
    })

    test('an unknown user for passwd, remove, sessions list and sessions revoke', async () => {
      const results = await Promise.all(
        [['users', 'passwd', 'nobody'], ['users', 'remove', 'nobody'], ['sessions', 'list', 'nobody'], ['sessions', 'revoke', 'nobody']].map((args) => cli(args, `${PASSWORD}\n`)),
      )
      for (const r of results) assertOneLineError(r, /no user "nobody"/)
    })

    test('an unknown command', async () => {
      const r = await cli(['frobnicate'])
      assert.notEqual(r.code, 0)
      assert.match(r.stderr, /unknown command 'frobnicate'/)
      assert.doesNotMatch(r.stderr, /^ {4}at /m)
    })
  })

  test('users remove removes her, and only her; users list then has nobody', async () => {
    const r = await cli(['users', 'remove', 'alice'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /removed alice/)
    assert.match((await cli(['users', 'list'])).stdout, /no users yet/, 'and no half-added bob from the failures')
  })
})

describe('--help works on every command and subcommand', () => {
  const commands = [
    [],
    ['demo'],
    ['init'],
    ['serve'],
    ['users'],
    ['users', 'add'],
    ['users', 'list'],
    ['users', 'remove'],
    ['users', 'passwd'],
    ['sessions'],
    ['sessions', 'list'],
    ['sessions', 'revoke'],
    ['keys'],
    ['keys', 'list'],
    ['keys', 'rotate'],
    ['doctor'],
  ]
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ss-cli-help-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('each prints its usage and exits 0, touching nothing', async () => {
    // A few at a time: sixteen Node processes at once starve a small, busy machine.
    const results: CliResult[] = []
    for (let i = 0; i < commands.length; i += 4) {
      results.push(...(await Promise.all(commands.slice(i, i + 4).map((args) => runCli([...args, '--help'], { cwd: dir })))))
    }
    for (const [i, r] of results.entries()) {
      const name = ['shared-session', ...commands[i]!].join(' ')
      assert.equal(r.code, 0, `${name} (signal ${r.signal}): ${r.stderr}`)
      assert.equal(r.stderr, '', name)
      assert.match(r.stdout, /^Usage: shared-session/m, name)
      assert.ok(r.stdout.includes(`Usage: ${name}`), `${name}: ${r.stdout}`)
      assert.match(r.stdout, /-h, --help/, name)
    }
    const byName = (args: string[]) => results[commands.findIndex((c) => c.join(' ') === args.join(' '))]!.stdout
    assert.match(byName(['serve']), /SHARED_SESSION_SECRET/)
    assert.match(byName(['init']), /--parent-domain/)
    assert.match(byName(['keys', 'rotate']), /--secret/)
    assert.match(byName(['users', 'add']), /--email/)
    assert.match(byName(['demo']), /--port-base/)
    assert.match(byName([]), /doctor/)
    assert.deepEqual(readdirSync(dir), [], '--help writes no file')
  })
})

describe('demo', () => {
  let dir: string
  let demo: RunningCli | undefined
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ss-cli-demo-'))
  })
  after(async () => {
    await demo?.stop('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  test('demo --memory prints the four URLs and the credentials, serves them, and stops cleanly on SIGINT', async () => {
    const base = await freePortRange(4)
    demo = await startCli(['demo', '--port-base', String(base), '--memory'], { cwd: dir, ready: /Ctrl-C stops/ })
    const out = demo.stdout()
    assert.match(out, new RegExp(`hub +http://auth\\.acme\\.localhost:${base}/`))
    assert.match(out, new RegExp(`forum +http://forum\\.acme\\.localhost:${base + 1}/`))
    assert.match(out, new RegExp(`shop +http://shop\\.localhost:${base + 2}/`))
    assert.match(out, new RegExp(`shop-de +http://shop-de\\.localhost:${base + 3}/`))
    assert.match(out, /Sign in as alice \/ wonderland/)
    assert.match(out, /Sessions live in memory/)
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`http://127.0.0.1:${base + i}/`, { redirect: 'manual' })
      assert.ok(response.status < 500, `port ${base + i}: ${response.status}`)
      await response.body?.cancel()
    }
    const r = await demo.stop('SIGINT')
    demo = undefined
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.signal, null)
    assert.match(r.stdout, /stopping/)
    assert.deepEqual(readdirSync(dir), [], '--memory writes no SQLite files')
  })

  test('a bad --port-base is one line', async () => {
    assertOneLineError(await runCli(['demo', '--port-base', 'abc', '--memory'], { cwd: dir }), /--port-base must be a port number/)
  })
})
