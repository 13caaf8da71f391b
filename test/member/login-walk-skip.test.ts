import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { sealHandoff } from '../../src/handoff/seal.js'
import { freshKeys } from '../helpers/keys.js'
import { assertRefused, createDeployment, MEMBERS, ORIGINS, type MemberName } from './fixtures.js'

/** Where a navigation chain went, without queries. */
const paths = (chain: string[]) => chain.map((u) => `${new URL(u).origin}${new URL(u).pathname}`)

describe('a login walk goes on past a member that fails (issue 11)', () => {
  /** A deployment whose `broken` member was given another deployment's keys: the mistake of issue 11 item 5. */
  async function withWrongSecret(broken: MemberName) {
    return createDeployment({ members: { [broken]: { keys: (await freshKeys()).ring } } })
  }

  test('the middle member has the wrong secret: it logs one line naming the fix, the third is still linked, the walk lands on the return URL', async () => {
    assert.deepEqual(MEMBERS, ['forum', 'shop', 'shop-de'], 'the walk visits forum, shop, shop-de in this order')
    const d = await withWrongSecret('shop')
    const alice = d.browser()
    const landing = `${ORIGINS['shop-de']}/checkout?step=2`
    const { response, chain } = await alice.signIn('alice', 'wonderland', landing)
    assert.equal(response.status, 200, chain.join('\n'))
    assert.equal(chain.at(-1), landing, 'landed on the return URL')
    const hops = paths(chain)
    const shopAccept = hops.indexOf(`${ORIGINS.shop}/_session/accept`)
    assert.ok(shopAccept > 0, 'the walk reached shop')
    assert.equal(hops[shopAccept + 1], `${ORIGINS['shop-de']}/_session/sync`, 'shop sent the browser on to the next member, not to an error page')

    const hub = (await d.sessionOf(alice, 'hub'))!
    assert.equal(hub.user?.username, 'alice')
    assert.equal((await d.sessionOf(alice, 'forum'))?.id, hub.id, 'forum, before the failure, is linked')
    assert.equal((await d.sessionOf(alice, 'shop-de'))?.id, hub.id, 'shop-de, after the failure, is linked')
    assert.equal(await d.sessionOf(alice, 'shop'), null, 'shop links nothing')

    assert.equal(d.logs.length, 1, d.logs.join('\n'))
    assert.match(d.logs[0]!, /^shared-session: member "shop": the login walk went on without linking this site \(ERR_PAYLOAD_KEY_UNKNOWN: .*\); this member does not share the hub's handoff secret: run `shared-session config member shop --out shop\.json` on the hub/)
  })

  test('a flood of answers under other keys on a walk: still sent on each time, but one log line a minute; broken answers log nothing', async () => {
    const d = await createDeployment()
    const visitor = d.browser()
    await visitor.navigate(`${ORIGINS.shop}/`) // the visitor holds the shop's cookies (one without is sent on with ss-nocookies)
    const foreign = (await freshKeys()).ring
    const accept = (p: string) => `${ORIGINS.shop}/_session/accept?p=${p}&return=${encodeURIComponent(`${ORIGINS.shop}/`)}&walk=`
    for (let i = 0; i < 20; i++) {
      // What a member with the wrong secret meets (an operator's mistake, worth a line); anyone can also send it.
      const otherKeys = sealHandoff(foreign, { ref: null, src: 'hub', dst: 'shop', ttlSeconds: 30, bind: 'A'.repeat(43) })
      for (const url of [accept(otherKeys), accept('A'.repeat(80))]) {
        const response = await visitor.request(url, { from: ORIGINS.hub })
        assert.equal(response.status, 303, `request ${i}`)
        assert.equal(response.headers.get('location'), `${ORIGINS.shop}/`)
      }
    }
    const lines = d.logs.filter((line) => line.includes('the login walk went on'))
    assert.equal(lines.length, 1, d.logs.join('\n'))
    assert.match(lines[0]!, /ERR_PAYLOAD_KEY_UNKNOWN/, 'the broken answers (a visitor\'s, not an operator\'s mistake) logged nothing')
  })

  test('the last member has the wrong secret: the walk still lands on the return URL, every other member linked', async () => {
    const d = await withWrongSecret('shop-de')
    const alice = d.browser()
    const { response, chain } = await alice.signIn('alice', 'wonderland', `${ORIGINS.forum}/t/1`)
    assert.equal(response.status, 200, chain.join('\n'))
    assert.equal(chain.at(-1), `${ORIGINS.forum}/t/1`)
    const hub = (await d.sessionOf(alice, 'hub'))!
    for (const site of ['forum', 'shop'] as const) assert.equal((await d.sessionOf(alice, site))?.id, hub.id, site)
    assert.equal(await d.sessionOf(alice, 'shop-de'), null)
    assert.equal(d.logs.length, 1, d.logs.join('\n'))
    assert.match(d.logs[0]!, /member "shop-de": the login walk went on .*ERR_PAYLOAD_KEY_UNKNOWN/)
  })

  test('off a walk the same failure stays an error, and on a walk a bad return or walk is still refused, never followed', async () => {
    const d = await withWrongSecret('shop')
    const sealed = new URL(d.pushUrl('hub', 'shop', null)).pathname.match(/push\/(.+)\.js$/)![1]!
    const cookie = { headers: { cookie: 'x=1' } } // any cookie, so the accept gets past "no cookies at all"
    // A plain bounce (no `walk`): the visitor sees the error (an HTML page for a navigation), as before.
    await assertRefused(await d.handle(`${ORIGINS.shop}/_session/accept?p=${sealed}&return=%2F`, cookie), 'ERR_PAYLOAD_KEY_UNKNOWN')
    // On a walk, the return URL and walk are checked before anything goes on.
    await assertRefused(await d.handle(`${ORIGINS.shop}/_session/accept?p=${sealed}&return=${encodeURIComponent('https://evil.localhost/')}&walk=`, cookie), 'ERR_RETURN_URL')
    await assertRefused(await d.handle(`${ORIGINS.shop}/_session/accept?p=${sealed}&return=%2F&walk=evil`, cookie), 'ERR_RETURN_URL')
    // A good walk goes on, and sets no cookie.
    const on = await d.handle(`${ORIGINS.shop}/_session/accept?p=${sealed}&return=%2F&walk=shop-de`, cookie)
    assert.equal(on.status, 303)
    assert.equal(on.headers.get('location'), `${ORIGINS['shop-de']}/_session/sync?return=${encodeURIComponent(`${ORIGINS.shop}/`)}&walk=`)
    assert.deepEqual(on.headers.getSetCookie(), [])
  })
})
