import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { withoutReserved } from '../../src/sessions/reserved.js'
import { createDeployment, MEMBERS, ORIGINS, STATE_COOKIE } from './fixtures.js'

describe('login walk', () => {
  test('after POST /login the chain visits every member (sync → hub pull → accept) and lands on the return URL', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    const { response, chain } = await alice.signIn('alice', 'wonderland', `${ORIGINS.shop}/cart?x=1`)
    assert.equal(response.status, 200, chain.join('\n'))
    const hops = chain.slice(1) // after the POST
    assert.ok(hops.length <= 3 * MEMBERS.length + 1, `${hops.length} hops:\n${hops.join('\n')}`)
    assert.equal(chain.at(-1), `${ORIGINS.shop}/cart?x=1`)
    const paths = hops.map((u) => `${new URL(u).origin}${new URL(u).pathname}`)
    for (const site of MEMBERS) {
      const at = paths.indexOf(`${ORIGINS[site]}/_session/sync`)
      assert.ok(at >= 0, `${site} is visited`)
      assert.deepEqual(paths.slice(at, at + 3), [`${ORIGINS[site]}/_session/sync`, `${ORIGINS.hub}/pull`, `${ORIGINS[site]}/_session/accept`])
    }
    assert.ok(!paths.includes(`${ORIGINS.flask}/_session/sync`), 'the token-only site is skipped')
    const hub = await d.sessionOf(alice, 'hub')
    assert.equal(hub?.user?.username, 'alice')
    for (const site of MEMBERS) {
      const s = await d.sessionOf(alice, site)
      assert.equal(s?.id, hub?.id, `${site} holds the new session`)
      assert.equal(s?.via, 'pull')
    }
    assert.deepEqual(d.replaced.map((e) => e.site).sort(), [...MEMBERS].sort())
    assert.ok(d.replaced.every((e) => e.via === 'pull' && e.src === 'hub'))
    assert.deepEqual(alice.rejected, [])
    assert.deepEqual(d.logs, [])
  })

  test('the walk rotates: anonymous data carries over, the old session dies everywhere, members with a record of an earlier pull link anyway', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    // Before login: an anonymous session shared by the pull, with a cart.
    const first = await alice.navigate(`${ORIGINS.shop}/`)
    assert.equal(first.response.status, 200)
    const anon = (await d.sessionOf(alice, 'shop'))!
    await d.store.patchSession(anon.id, { set: { cart: '["teapot"]' }, unset: [] })
    alice.setCookie(ORIGINS['shop-de'], `${STATE_COOKIE}oldpull1`, 't.anearlierpullgotnothing')
    const { chain } = await alice.signIn('alice', 'wonderland')
    assert.equal(chain.at(-1), `${ORIGINS.hub}/`)
    assert.equal(await d.store.getSession(anon.id, d.clock.now), null, 'the anonymous session is gone (no fixation)')
    const now = (await d.sessionOf(alice, 'hub'))!
    assert.notEqual(now.id, anon.id)
    assert.deepEqual(appData(await d.store.getSession(now.id, d.clock.now)), { cart: '["teapot"]' })
    for (const site of MEMBERS) assert.equal((await d.sessionOf(alice, site))?.id, now.id, site)
    assert.deepEqual([...alice.stateCookies(ORIGINS['shop-de']).values()].filter((v) => v === 't.anearlierpullgotnothing'), [], 'the old record is gone')
  })

  test('with third-party cookies blocked and anonymous sharing off, the walk still reaches every member', async () => {
    const d = await createDeployment({ hub: { anonymous: false } })
    const alice = d.browser({ thirdPartyCookies: false })
    for (const site of MEMBERS) await alice.navigate(`${ORIGINS[site]}/`)
    assert.ok(MEMBERS.every((s) => alice.triedRecord(ORIGINS[s])), 'every member tried and got nothing')
    await alice.signIn('alice', 'wonderland')
    const hub = (await d.sessionOf(alice, 'hub'))!
    for (const site of MEMBERS) assert.equal((await d.sessionOf(alice, site))?.id, hub.id, site)
  })

  test(
    'a member holding its own anonymous session (alwaysReplace off) is logged in by the walk too',
    async () => {
      // anonymous sharing off: shop's cart session is local, the hub never had it, so login cannot rotate it away.
      const d = await createDeployment({ hub: { anonymous: false } })
      const alice = d.browser()
      await alice.navigate(`${ORIGINS.shop}/`)
      await d.seedSession(alice, 'shop', { data: { cart: ['teapot'] } })
      await alice.signIn('alice', 'wonderland')
      const s = await d.sessionOf(alice, 'shop')
      assert.equal(s?.user?.username, 'alice', 'shop is signed in after the login walk')
    },
  )

  test('a wrong password walks nowhere and links nothing', async () => {
    const d = await createDeployment()
    const b = d.browser()
    const { response, chain } = await b.signIn('alice', 'wrong')
    assert.equal(response.status, 401)
    assert.equal(chain.length, 1)
    const counts = await d.counts()
    assert.deepEqual({ sessions: counts.sessions, links: counts.links }, { sessions: 0, links: 0 })
  })
})

/** A session's data as apps see it: the session map's reserved keys (device, sites) left out. */
function appData(record: { data: Record<string, string> } | null): Record<string, string> | undefined {
  return record ? withoutReserved(record.data) : undefined
}
