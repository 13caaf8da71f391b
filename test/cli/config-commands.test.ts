import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { assertOneLineError, runCli } from './run-cli.js'

describe('configuration from the command line: init --store, sites, config member, --version', () => {
  let dir: string
  const cli = (args: string[], input?: string) => runCli(args, { cwd: dir, ...(input !== undefined ? { input } : {}) })
  const file = () => JSON.parse(readFileSync(join(dir, 'shared-session.json'), 'utf8'))

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ss-cli-config-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('--version prints the package version', async () => {
    const r = await cli(['--version'])
    assert.equal(r.code, 0, r.stderr)
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    assert.equal(r.stdout.trim(), pkg.version)
  })

  test('init --store writes the store URL; a store of an unknown kind is one clear line', async () => {
    assertOneLineError(await cli(['init', '--origin', 'http://auth.acme.localhost:4000', '--store', 'mysql://db']), /--store: .*not one of/)
    const r = await cli(['init', '--origin', 'http://auth.acme.localhost:4000', '--parent-domain', 'acme.localhost', '--store', 'redis://127.0.0.1:6379/3'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /sites add/, 'it says what to do next')
    assert.equal(file().store, 'redis://127.0.0.1:6379/3')
  })

  test('sites add, list and remove edit the file; mistakes are one clear line and change nothing', async () => {
    let r = await cli(['sites', 'add', 'forum', 'http://forum.acme.localhost:4001'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /config member forum/, 'it says how to hand the member its configuration')
    r = await cli(['sites', 'add', 'shop', 'http://shop.localhost:4002', '--kind', 'cross-site'])
    assert.equal(r.code, 0, r.stderr)
    r = await cli(['sites', 'add', 'flask', 'http://flask.acme.localhost:5000', '--no-member'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /jwks\.json/)
    assert.deepEqual(file().sites, [
      { name: 'forum', origin: 'http://forum.acme.localhost:4001' },
      { name: 'shop', origin: 'http://shop.localhost:4002', kind: 'cross-site' },
      { name: 'flask', origin: 'http://flask.acme.localhost:5000', member: false },
    ])
    assert.equal(statSync(join(dir, 'shared-session.json')).mode & 0o777, 0o600, 'still mode 600 after the edit')
    const before = readFileSync(join(dir, 'shared-session.json'), 'utf8')
    assertOneLineError(await cli(['sites', 'add', 'shop', 'http://other.localhost']), /already exists/)
    assertOneLineError(await cli(['sites', 'add', 'blog', 'http://shop.localhost:4002']), /used twice/)
    assertOneLineError(await cli(['sites', 'add', 'Blog!', 'http://blog.localhost']), /short lower-case name/)
    assertOneLineError(await cli(['sites', 'add', 'blog', 'http://blog.localhost/path']), /origin only/)
    assertOneLineError(await cli(['sites', 'add', 'hub', 'http://blog.localhost']), /reserved/)
    assertOneLineError(await cli(['sites', 'add', 'blog', 'http://blog.localhost', '--kind', 'sideways']), /--kind/)
    assertOneLineError(await cli(['sites', 'remove', 'blog']), /no site "blog"/)
    assert.equal(readFileSync(join(dir, 'shared-session.json'), 'utf8'), before)
    const list = await cli(['sites', 'list'])
    assert.match(list.stdout, /^forum\thttp:\/\/forum\.acme\.localhost:4001\tmember$/m)
    assert.match(list.stdout, /^flask\t.*member: false/m)
    r = await cli(['sites', 'remove', 'flask'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(file().sites.map((s: { name: string }) => s.name), ['forum', 'shop'])
  })

  test('config member --out writes a mode-600 share with no master secret and no private key', async () => {
    const r = await cli(['config', 'member', 'shop', '--out', 'shop.json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(statSync(join(dir, 'shop.json')).mode & 0o777, 0o600)
    const text = readFileSync(join(dir, 'shop.json'), 'utf8')
    const hub = file()
    assert.ok(!text.includes(hub.keys.secret), 'no master secret')
    assert.ok(!text.includes(hub.keys.signingKeys[0].d), 'no private signing key')
    const share = JSON.parse(text)
    assert.equal(share.site, 'shop')
    assert.equal(share.store, 'redis://127.0.0.1:6379/3')
    assert.deepEqual(share.sites, hub.sites)
    const printed = await cli(['config', 'member', 'shop'])
    assert.equal(printed.code, 0)
    assert.deepEqual(JSON.parse(printed.stdout), share, 'stdout gives the same share')
    assert.match(printed.stderr, /keep the file private/)
    assertOneLineError(await cli(['config', 'member', 'blog']), /no site "blog".*forum, shop/)
  })

  test('users.sqlite is created readable by its owner only', async () => {
    const r = await cli(['users', 'add', 'alice'], 'correct horse battery\n')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(statSync(join(dir, '.shared-session', 'users.sqlite')).mode & 0o777, 0o600)
  })
})
