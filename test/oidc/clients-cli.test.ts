import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { assertOneLineError, freePort, runCli, startCli, type RunningCli } from '../cli/run-cli.js'

const REDIRECT = 'https://grafana.acme.example/login/generic_oauth'

describe('shared-session clients add | list | remove, and serve picking them up', () => {
  let dir: string
  let url: string
  let origin: string
  let serving: RunningCli | undefined
  const cli = (args: string[]) => runCli(args, { cwd: dir })
  const token = (basic: string) =>
    fetch(`${url}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(basic).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: REDIRECT, code_verifier: 'v'.repeat(43) }).toString(),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: string } }))

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ss-clients-'))
    const port = await freePort()
    origin = `http://auth.acme.localhost:${port}`
    url = `http://127.0.0.1:${port}`
    const init = await cli(['init', '--origin', origin])
    assert.equal(init.code, 0, init.stderr)
  })
  after(async () => {
    await serving?.stop('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  let secret = ''
  test('add prints the secret once; the file keeps only its hash; list never shows it', async () => {
    const r = await cli(['clients', 'add', 'grafana', '--redirect-uri', REDIRECT, '--backchannel-logout-uri', 'https://grafana.acme.example/logout/backchannel'])
    assert.equal(r.code, 0, r.stderr)
    secret = /client_secret: (\S+)/.exec(r.stdout)?.[1] ?? ''
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/)
    assert.match(r.stdout, new RegExp(`discovery: +${origin}/.well-known/openid-configuration`))
    const config = JSON.parse(readFileSync(join(dir, 'shared-session.json'), 'utf8')) as { users: string }
    const db = new Database(join(dir, config.users.slice('sqlite:'.length)), { readonly: true })
    const stored = JSON.stringify(db.prepare('SELECT * FROM oidc_clients').all())
    db.close()
    assert.equal(stored.includes(secret), false, 'the secret itself is nowhere in the database')
    assert.match(stored, /sha256:[0-9a-f]{64}/)
    const list = await cli(['clients', 'list'])
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, /^grafana\tconfidential\thttps:\/\/grafana\.acme\.example\/login\/generic_oauth\thttps:\/\/grafana\.acme\.example\/logout\/backchannel$/m)
    assert.equal(list.stdout.includes(secret), false)
  })

  test('a public client gets no secret', async () => {
    const r = await cli(['clients', 'add', 'spa', '--redirect-uri', 'http://spa.localhost:5173/cb', '--public'])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stdout, /client_secret/)
    assert.match((await cli(['clients', 'list'])).stdout, /^spa\tpublic\t/m)
  })

  test('bad input is one clear line and writes nothing', async () => {
    assertOneLineError(await cli(['clients', 'add', 'grafana', '--redirect-uri', REDIRECT]), /exists already/)
    assertOneLineError(await cli(['clients', 'add', 'x1', '--redirect-uri', 'http://grafana.acme.example/cb']), /must be https/)
    // Every other validation rule is the hub option's, tested in options.test.ts; the CLI shows its message as one line.
    assertOneLineError(await cli(['clients', 'remove', 'nobody']), /no client "nobody"/)
    const list = (await cli(['clients', 'list'])).stdout
    assert.doesNotMatch(list, /^x1\t/m)
  })

  test('serve is an OIDC provider for the registered clients: the printed secret authenticates, a wrong one does not, a removed client is gone at once', async () => {
    serving = await startCli(['serve'], { cwd: dir, ready: /listening on/ })
    const discovery = await fetch(`${url}/.well-known/openid-configuration`)
    assert.equal(discovery.status, 200)
    assert.equal(((await discovery.json()) as { issuer: string }).issuer, origin)
    assert.equal((await token(`grafana:${secret}`)).body.error, 'invalid_grant', 'authenticated: only the code is wrong')
    assert.equal((await token(`grafana:${secret.slice(1)}x`)).body.error, 'invalid_client')
    const removed = await cli(['clients', 'remove', 'grafana'])
    assert.equal(removed.code, 0, removed.stderr)
    assert.equal((await token(`grafana:${secret}`)).body.error, 'invalid_client', 'no restart needed')
  })
})
