import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { newConfig, type DeploymentConfig } from '../../src/config/config-file.js'
import { memberConfig, memberOptions } from '../../src/config/member-config.js'
import { generateKeysConfig } from '../../src/keys/generate.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { isSharedSessionError } from '../../src/errors/shared-session-error.js'
import { createMember } from '../../src/member/create-member.js'
import { checkMember } from '../../src/member/self-check.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { startTestHub, type TestHub } from '../helpers/hub.js'
import { listenOnFreePort } from '../helpers/listen.js'

const SITES = [
  { name: 'forum', origin: 'http://forum.acme.localhost:4101' },
  { name: 'shop', origin: 'http://shop.localhost:4102' },
]

describe('a member checks at start-up that it belongs to its hub, one line per mistake naming the fix', () => {
  let hub: TestHub
  let config: DeploymentConfig

  before(async () => {
    config = await newConfig({ origin: 'http://auth.acme.localhost:1', parentDomain: 'acme.localhost' })
    config.sites = SITES
    hub = await startTestHub({ keys: await loadKeyRing(config.keys), sites: SITES })
    config.hub.origin = hub.origin
  })
  after(() => hub.close())

  /** The member as the app would build it from its share, with the given changes; returns the lines it logged. */
  async function check(change: (share: ReturnType<typeof memberConfig>) => void = () => undefined) {
    const share = memberConfig(config, 'shop')
    change(share)
    const lines: string[] = []
    const member = createMember({ ...memberOptions(share, { keys: await loadKeyRing(share.keys), store: createMemoryStore() }), log: (l) => lines.push(l) })
    const problems = await checkMember(member)
    assert.deepEqual(problems.map((p) => p.line), lines, 'each problem is logged, once')
    return { problems, lines }
  }

  test('the hub publishes its site list and handoff key ids, nothing secret', async () => {
    const response = await fetch(`${hub.url}/.well-known/shared-session.json`)
    assert.equal(response.status, 200)
    const about = (await response.json()) as { sites: unknown; handoff: { seals: string; opens: string[] } }
    assert.deepEqual(about.sites, SITES.map((s) => ({ ...s, member: true })))
    assert.equal(about.handoff.seals, hub.ring.handoff[0]!.id.toString('base64url'))
    const text = JSON.stringify(about)
    for (const k of hub.ring.handoff) assert.ok(!text.includes(k.key.toString('base64url')), 'no handoff key')
    assert.ok(!text.includes(config.keys.secret), 'no master secret')
  })

  test('a member from its share passes silently', async () => {
    const { problems, lines } = await check()
    assert.deepEqual(problems, [])
    assert.deepEqual(lines, [])
  })

  test('wrong secret: one line saying the secrets differ and how to get the right one', async () => {
    const other = await generateKeysConfig()
    const { problems, lines } = await check((share) => {
      share.keys = memberConfig({ ...config, keys: other }, 'shop').keys
    })
    assert.deepEqual(problems.map((p) => p.code), ['secret-mismatch'])
    assert.equal(lines.length, 1)
    assert.match(lines[0]!, /^shared-session: member "shop": this member does not share the hub's handoff secret .*ERR_PAYLOAD_KEY_UNKNOWN.*shared-session config member shop/)
  })

  test('wrong hub port: one line saying the hub does not answer and what to fix', async () => {
    const dead = await listenOnFreePort()
    await dead.close()
    const { problems, lines } = await check((share) => {
      share.hub.origin = `http://auth.acme.localhost:${dead.port}`
    })
    assert.deepEqual(problems.map((p) => p.code), ['hub-unreachable'])
    assert.equal(lines.length, 1)
    assert.match(lines[0]!, new RegExp(`the hub http://auth\\.acme\\.localhost:${dead.port} does not answer \\(ECONNREFUSED\\); fix "hub"`))
  })

  test('a hub address that answers but is no hub: one line', async () => {
    const other = await listenOnFreePort()
    other.server.on('request', (_req, res) => res.writeHead(404).end('not here'))
    try {
      const { problems, lines } = await check((share) => {
        share.hub.origin = `http://auth.acme.localhost:${other.port}`
      })
      assert.deepEqual(problems.map((p) => p.code), ['not-a-hub'])
      assert.match(lines[0]!, /answered HTTP 404 .* is not a shared-session hub/)
    } finally {
      await other.close()
    }
  })

  test('a typo in the site list: one line naming both spellings', async () => {
    const { problems, lines } = await check((share) => {
      share.sites = [SITES[0]!, { name: 'shop', origin: 'http://shop.localhost:4102' }, { name: 'shop-dee', origin: 'http://shop-de.localhost:4103' }]
    })
    assert.deepEqual(problems.map((p) => p.code), ['sites-differ'])
    assert.equal(lines.length, 1)
    assert.match(lines[0]!, /the site lists differ: "shop-dee" \(http:\/\/shop-de\.localhost:4103\) only here; use the hub's list/)
  })

  test('a member the hub does not know: the line says so', async () => {
    const { problems, lines } = await check((share) => {
      share.site = 'shopp'
      share.sites = [SITES[0]!, { name: 'shopp', origin: 'http://shop.localhost:4102' }]
    })
    assert.deepEqual(problems.map((p) => p.code), ['sites-differ'])
    assert.match(lines[0]!, /"shop" \(http:\/\/shop\.localhost:4102\) only at the hub; "shopp" .* only here — the hub does not know this site "shopp"/)
  })

  /** A member as the app builds it, left alone: no request, no explicit check. Returns its log. */
  async function start(change: (share: ReturnType<typeof memberConfig>) => void, selfCheck?: Parameters<typeof createMember>[0]['selfCheck']) {
    const share = memberConfig(config, 'shop')
    change(share)
    const lines: string[] = []
    const member = createMember({ ...memberOptions(share, { keys: await loadKeyRing(share.keys), store: createMemoryStore() }), log: (l) => lines.push(l), ...(selfCheck === undefined ? {} : { selfCheck }) })
    return { member, lines }
  }
  const wrongSecret = async () => {
    const other = memberConfig({ ...config, keys: await generateKeysConfig() }, 'shop').keys
    return (share: ReturnType<typeof memberConfig>) => void (share.keys = other)
  }
  async function until(done: () => boolean, ms: number) {
    for (const end = Date.now() + ms; !done() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 25))
  }

  test('on start, with no request made: a wrong secret and a dead hub port each log one line naming the fix', async () => {
    const dead = await listenOnFreePort()
    await dead.close()
    const secret = await start(await wrongSecret())
    const port = await start((share) => void (share.hub.origin = `http://auth.acme.localhost:${dead.port}`))
    const ok = await start(() => undefined)
    await until(() => secret.lines.length > 0 && port.lines.length > 0, 10_000)
    await new Promise((r) => setTimeout(r, 300)) // nothing more comes
    assert.equal(secret.lines.length, 1, secret.lines.join('\n'))
    assert.match(secret.lines[0]!, /^shared-session: member "shop": this member does not share the hub's handoff secret .*shared-session config member shop/)
    assert.equal(port.lines.length, 1, port.lines.join('\n'))
    assert.match(port.lines[0]!, new RegExp(`^shared-session: member "shop": the hub http://auth\\.acme\\.localhost:${dead.port} does not answer \\(ECONNREFUSED\\); fix "hub"`))
    assert.deepEqual(ok.lines, [], 'a member from its share starts silently')
  })

  test('selfCheck: false checks nothing; an explicit checkMember replaces the automatic one (no line twice)', async () => {
    const off = await start(await wrongSecret(), false)
    const explicit = await start(await wrongSecret(), { delayMs: 100 })
    assert.equal((await checkMember(explicit.member)).length, 1)
    await new Promise((r) => setTimeout(r, 600))
    assert.deepEqual(off.lines, [])
    assert.equal(explicit.lines.length, 1, explicit.lines.join('\n'))
  })

  test('the check never delays a request: a hub that never answers, and the page is served at once', async () => {
    const silent = await listenOnFreePort()
    silent.server.on('request', () => undefined) // holds every request open
    try {
      const { member, lines } = await start((share) => void (share.hub.origin = `http://auth.acme.localhost:${silent.port}`), { delayMs: 0, timeoutMs: 500 })
      await new Promise((r) => setTimeout(r, 20)) // the check is under way
      const began = Date.now()
      const result = await member.handle({ method: 'GET', url: 'http://shop.localhost:4102/', headers: new Headers({ 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }) })
      assert.ok(Date.now() - began < 200, `answered in ${Date.now() - began} ms`)
      assert.equal(result.response, undefined, 'no bounce, no error: the page is the app\'s')
      assert.deepEqual(lines, [], 'the check has not finished')
      await until(() => lines.length > 0, 5_000)
      assert.equal(lines.length, 1)
      assert.match(lines[0]!, /does not answer \(no answer within 500 ms\)/)
    } finally {
      silent.server.closeAllConnections()
      await silent.close()
    }
  })

  test('a bad selfCheck option is refused at construction', async () => {
    for (const selfCheck of [{ delayMs: -1 }, { timeoutMs: 0 }, 'yes'] as never[]) {
      await assert.rejects(start(() => undefined, selfCheck), (err) => isSharedSessionError(err, 'ERR_CONFIG_INVALID'), JSON.stringify(selfCheck))
    }
  })
})
