import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { newConfig, type DeploymentConfig } from '../../src/config/config-file.js'
import { memberConfig, memberOptions } from '../../src/config/member-config.js'
import { generateKeysConfig } from '../../src/keys/generate.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
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
})
