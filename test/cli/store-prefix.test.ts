import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { CookieJar, loginOverHttp } from '../helpers/http.js'
import { assertOneLineError, freePort, runCli, startCli, type RunningCli } from './run-cli.js'

const PASSWORD = 'correct horse battery'

describe('a store prefix set by init is honoured by serve, sessions list and sessions revoke', () => {
  let dir: string
  let hub: RunningCli | undefined
  const prefix = `cli-${randomBytes(4).toString('hex')}:`
  const redis = new Redis('redis://127.0.0.1:6379/0', { lazyConnect: true })
  const cli = (args: string[], input?: string) => runCli(args, { cwd: dir, ...(input !== undefined ? { input } : {}) })

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ss-cli-prefix-'))
  })
  after(async () => {
    await hub?.stop()
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
    rmSync(dir, { recursive: true, force: true })
  })

  test('init --store --store-prefix writes { url, prefix }; a prefix without a store is one clear line', async () => {
    assertOneLineError(await cli(['init', '--store-prefix', 'x:']), /--store-prefix goes with --store/)
    assertOneLineError(await cli(['init', '--store', 'mysql://db']), /--store: .*not one of/)
    const port = await freePort()
    const r = await cli(['init', '--origin', `http://auth.acme.localhost:${port}`, '--parent-domain', 'acme.localhost', '--store', 'redis://127.0.0.1:6379/0', '--store-prefix', prefix])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'shared-session.json'), 'utf8')).store, { url: 'redis://127.0.0.1:6379/0', prefix })
    assert.equal((await cli(['users', 'add', 'alice'], `${PASSWORD}\n`)).code, 0)
    const doctor = await cli(['doctor'])
    assert.doesNotMatch(doctor.stdout, /store/, doctor.stdout)
  })

  test('sessions made by serve live under the prefix; list and revoke find them there', async () => {
    hub = await startCli(['serve'], { cwd: dir, ready: /forward-auth/ })
    assert.match(hub.stdout(), new RegExp(`store redis://127\\.0\\.0\\.1:6379/0 \\(prefix ${prefix}\\)`))
    const origin = /shared-session hub: (\S+)/.exec(hub.stdout())![1]!
    const login = await loginOverHttp({ url: origin.replace('auth.acme.localhost', '127.0.0.1'), origin }, new CookieJar(), { username: 'alice', password: PASSWORD })
    assert.equal(login.status, 303)
    assert.ok((await redis.keys(`${prefix}*`)).length > 0, 'the hub wrote under the prefix')
    const listed = await cli(['sessions', 'list', 'alice'])
    assert.equal(listed.code, 0, listed.stderr)
    assert.equal(listed.stdout.split('\n').filter((line) => line.startsWith('session ')).length, 1, listed.stdout)
    assert.match(listed.stdout, /first seen \d{4}-/)
    const revoked = await cli(['sessions', 'revoke', 'alice'])
    assert.match(revoked.stdout, /revoked 1 session\(s\) of alice/)
    assert.match((await cli(['sessions', 'list', 'alice'])).stdout, /alice has no live sessions/)
  })
})
