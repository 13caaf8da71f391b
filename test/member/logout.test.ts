import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { assertRefused, createDeployment, EVIL, MEMBERS, ORIGINS, SESSION_COOKIE, victimState, type Browser, type Deployment } from './fixtures.js'

/** Alice signed in everywhere through the real login walk; shop's cookie came by push (SameSite=None), so cross-site POSTs carry it. */
async function signedInEverywhere(d: Deployment): Promise<{ alice: Browser; id: string }> {
  const alice = d.browser()
  await alice.signIn('alice', 'wonderland')
  const id = (await d.sessionOf(alice, 'hub'))!.id
  alice.deleteCookie(ORIGINS.shop, SESSION_COOKIE)
  alice.deleteCookie(ORIGINS.shop, '__Host-ss-live')
  const r = await alice.request(d.loaderUrls('forum', id).get('shop')!, { kind: 'script', from: `${ORIGINS.forum}/` })
  assert.equal(r.status, 200)
  assert.match(alice.cookieLine(ORIGINS.shop, SESSION_COOKIE)!, /SameSite=None/)
  return { alice, id }
}

const logoutUrl = `${ORIGINS.shop}/_session/logout?return=%2Fbye`

describe('logout at a member', () => {
  test('POST {prefix}/logout from the member\'s own page destroys the global session for every site', async () => {
    const d = await createDeployment()
    const { alice, id } = await signedInEverywhere(d)
    const response = await alice.request(logoutUrl, { method: 'POST', from: `${ORIGINS.shop}/account` })
    assert.equal(response.status, 303)
    assert.equal(response.headers.get('cache-control'), 'no-store')
    assert.equal(await d.store.getSession(id, d.clock.now), null, 'the global session is gone')
    for (const site of ['hub', ...MEMBERS] as const) {
      const s = await d.sessionOf(alice, site)
      assert.ok(s === null || s.id !== id, `${site} no longer has the session`)
      assert.notEqual(s?.user?.username, 'alice', site)
    }
    // The answer goes straight into a pull, and the journey ends back on the member, signed out.
    const { response: end, chain } = await alice.navigate(new URL(response.headers.get('location')!, logoutUrl).href, { from: `${ORIGINS.shop}/account` })
    assert.equal(end.status, 200)
    assert.equal(chain.at(-1), `${ORIGINS.shop}/bye`)
    assert.equal((await d.sessionOf(alice, 'shop'))?.user ?? null, null)
    // Every other site sees it gone on its next request.
    for (const site of ['forum', 'shop-de'] as const) {
      const page = await alice.navigate(`${ORIGINS[site]}/`, { from: EVIL })
      assert.equal(page.response.status, 200)
      assert.doesNotMatch(await page.response.text(), new RegExp(id))
    }
  })

  test('from another origin → ERR_CSRF and nothing changes', async () => {
    const d = await createDeployment()
    const { alice } = await signedInEverywhere(d)
    const before = await victimState(d, alice)
    const attempts: [string, Parameters<Browser['request']>[1]][] = [
      ['a form on the attacker\'s page', { method: 'POST', from: `${EVIL}/` }],
      ['a form on another member', { method: 'POST', from: `${ORIGINS.forum}/` }],
      ['a form on the hub', { method: 'POST', from: `${ORIGINS.hub}/` }],
      ['fetch() from the attacker', { method: 'POST', kind: 'fetch', from: `${EVIL}/` }],
      ['Origin: null, cross-site (sandboxed iframe)', { method: 'POST', from: `${EVIL}/`, headers: { origin: 'null' } }],
      ['Origin: null, no Sec-Fetch-Site (sandboxed iframe, older browser)', { method: 'POST', from: `${EVIL}/`, headers: { origin: 'null', 'sec-fetch-site': null } }],
      ['no Origin, Sec-Fetch-Site cross-site', { method: 'POST', from: `${EVIL}/`, headers: { origin: null } }],
      ['no Origin, Sec-Fetch-Site same-site', { method: 'POST', from: `${ORIGINS.forum}/`, headers: { origin: null, 'sec-fetch-site': 'same-site' } }],
    ]
    for (const [name, options] of attempts) {
      await assertRefused(await alice.request(logoutUrl, options), 'ERR_CSRF', name)
    }
    assert.deepEqual(await victimState(d, alice), before)
  })

  test('a GET to the logout endpoint (an <img>, a link) does nothing', async () => {
    const d = await createDeployment()
    const { alice } = await signedInEverywhere(d)
    const before = await victimState(d, alice)
    const r = await alice.request(logoutUrl, { kind: 'image', from: EVIL })
    assert.equal(r.status, 404)
    const nav = await alice.request(logoutUrl, { from: EVIL })
    assert.ok(nav.status >= 400 && nav.status < 500)
    assert.deepEqual(await victimState(d, alice), before)
  })

  test('an off-site return → ERR_RETURN_URL, session untouched', async () => {
    const d = await createDeployment()
    const { alice } = await signedInEverywhere(d)
    const before = await victimState(d, alice)
    await assertRefused(await alice.request(`${ORIGINS.shop}/_session/logout?return=%2F%2Fevil.localhost`, { method: 'POST', from: `${ORIGINS.shop}/` }), 'ERR_RETURN_URL')
    assert.deepEqual(await victimState(d, alice), before)
  })
})
