import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { withNodeMiddleware } from '../../src/adapters/node/index.js'
import { readMemberConfig, memberOptions } from '../../src/config/member-config.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { createMember } from '../../src/member/create-member.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { startTestHub, type TestHub } from '../helpers/hub.js'
import { listenOnFreePort } from '../helpers/listen.js'
import { runCli } from './run-cli.js'

type Listening = Awaited<ReturnType<typeof listenOnFreePort>>

describe('doctor --probe and --member: every problem in one run', () => {
  let dir: string
  let hub: TestHub
  let forum: Listening
  let flask: Listening
  const cli = (args: string[]) => runCli(args, { cwd: dir })

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ss-doctor-probe-'))
    hub = await startTestHub()
    forum = await listenOnFreePort()
    flask = await listenOnFreePort()
    // The Flask example: its own 404 page for every path it does not know, /_session/* included.
    flask.server.on('request', (_req, res) => res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>404 Not Found</title><h1>Not Found</h1>'))
    let r = await cli(['init', '--origin', hub.origin, '--parent-domain', 'acme.localhost'])
    assert.equal(r.code, 0, r.stderr)
    r = await cli(['sites', 'add', 'forum', `http://forum.acme.localhost:${forum.port}`])
    assert.equal(r.code, 0, r.stderr)
    // Listed as the Flask example was: without member: false.
    r = await cli(['sites', 'add', 'flask', `http://flask.acme.localhost:${flask.port}`])
    assert.equal(r.code, 0, r.stderr)
    r = await cli(['config', 'member', 'forum', '--out', 'forum.json'])
    assert.equal(r.code, 0, r.stderr)
    // The forum runs the real member middleware from its share.
    const share = readMemberConfig(join(dir, 'forum.json'))
    const member = createMember({ ...memberOptions(share, { keys: await loadKeyRing(share.keys), store: createMemoryStore() }), log: () => undefined })
    forum.server.on('request', withNodeMiddleware(member, (_req, res) => res.end('forum')))
  })
  after(async () => {
    await Promise.all([hub.close(), forum.close(), flask.close()])
    rmSync(dir, { recursive: true, force: true })
  })

  test('without --probe the file looks fine: the mistake is only visible over HTTP', async () => {
    const r = await cli(['doctor'])
    assert.equal(r.code, 0, r.stdout)
    assert.match(r.stdout, /no problems found/)
  })

  test('--probe catches the Flask app listed as a member, and only it', async () => {
    const r = await cli(['doctor', '--probe'])
    assert.equal(r.code, 1, r.stdout)
    assert.match(r.stdout, new RegExp(`ERROR +sites\\[1\\] \\(flask\\)\\.member: http://flask\\.acme\\.localhost:${flask.port} does not run the member endpoints: GET /_session/doctor-probe answered HTTP 404`))
    assert.match(r.stdout, /fix: if flask only reads the token .*"member": false/)
    assert.doesNotMatch(r.stdout, /\(forum\)/, 'the real member passes')
    assert.doesNotMatch(r.stdout, /hub\.origin/, 'the hub answers')
    assert.match(r.stdout, /1 error\(s\), 0 warning\(s\)/)
  })

  test('marked member: false, the probe passes', async () => {
    for (const args of [['sites', 'remove', 'flask'], ['sites', 'add', 'flask', `http://flask.acme.localhost:${flask.port}`, '--no-member']]) {
      const r = await cli(args)
      assert.equal(r.code, 0, r.stderr)
    }
    const r = await cli(['doctor', '--probe'])
    assert.equal(r.code, 0, r.stdout)
    assert.match(r.stdout, /no problems found \(every site answered as configured\)/)
  })

  test("a member file with a typo, another secret and a stale hub port, a dead site and a bad parent domain: all in one run", async () => {
    const share = JSON.parse(readFileSync(join(dir, 'forum.json'), 'utf8'))
    share.sites = share.sites.map((s: { name: string }) => (s.name === 'flask' ? { ...s, name: 'flsk' } : s))
    share.keys.handoff = [{ id: 'AAAAAA', key: share.keys.handoff[0].key }]
    share.hub.origin = 'http://auth.acme.localhost:1'
    writeFileSync(join(dir, 'typo.json'), JSON.stringify(share))
    const hubFile = JSON.parse(readFileSync(join(dir, 'shared-session.json'), 'utf8'))
    hubFile.hub.parentDomain = 'localhost'
    hubFile.sites.push({ name: 'blog', origin: 'http://blog.acme.localhost:1' })
    writeFileSync(join(dir, 'broken.json'), JSON.stringify(hubFile))
    const r = await cli(['doctor', '-c', 'broken.json', '--probe', '--member', 'typo.json'])
    assert.equal(r.code, 1, r.stdout)
    for (const [level, setting] of [['ERROR  ', 'hub.parentDomain'], ['warning', 'sites[2] (blog).origin'], ['ERROR  ', 'typo.json: hub.origin'], ['ERROR  ', 'typo.json: keys.handoff'], ['ERROR  ', 'typo.json: sites']]) {
      assert.ok(r.stdout.split('\n').some((line) => line.startsWith(`${level} ${setting}: `)), `${setting} in:\n${r.stdout}`)
    }
    assert.match(r.stdout, /^4 error\(s\), 1 warning\(s\)$/m, 'nothing else')
    assert.match(r.stdout, /the site names differ: "flask" only at the hub; "blog" only at the hub; "flsk" only in typo\.json/)
    assert.match(r.stdout, /another master secret, so every payload fails with ERR_PAYLOAD_KEY_UNKNOWN/)
    assert.match(r.stdout, /fix: regenerate it on the hub: shared-session config member forum --out typo\.json/)
  })
})
