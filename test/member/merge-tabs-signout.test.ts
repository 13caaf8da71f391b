import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { mergeCarts } from '../../src/demo/site-app.js'
import type { SessionEvents } from '../../src/events/emitter.js'
import { createDeployment, EVIL, MEMBERS, ORIGINS, SESSION_COOKIE } from './fixtures.js'

const TOKEN_COOKIE = '__Secure-ss-token'

async function cartOf(d: Awaited<ReturnType<typeof createDeployment>>, b: ReturnType<Awaited<ReturnType<typeof createDeployment>>['browser']>, site: 'hub' | (typeof MEMBERS)[number]): Promise<unknown> {
  const s = await d.sessionOf(b, site)
  const json = s ? (await d.store.getSession(s.id, d.clock.now))?.data.cart : undefined
  return json === undefined ? undefined : JSON.parse(json)
}

async function addToCart(d: Awaited<ReturnType<typeof createDeployment>>, b: ReturnType<Awaited<ReturnType<typeof createDeployment>>['browser']>, site: 'shop' | 'shop-de', item: string): Promise<void> {
  await b.navigate(`${ORIGINS[site]}/`)
  const s = (await d.sessionOf(b, site))!
  const cart = ((await cartOf(d, b, site)) as string[] | undefined) ?? []
  await d.store.patchSession(s.id, { set: { cart: JSON.stringify([...cart, item]) }, unset: [] })
}

describe('nothing is lost when a site adopts another session (merge)', () => {
  test('the hub\'s cookies deleted by tracking protection between two carts: after sign-in every site holds both items', async () => {
    const merge = { merge: mergeCarts }
    const d = await createDeployment({ members: { shop: merge, 'shop-de': merge, forum: merge } })
    const merged: SessionEvents['session.merged'][] = []
    for (const m of MEMBERS) d.members[m].events.on('session.merged', (e) => void merged.push(e))
    const b = d.browser({ thirdPartyCookies: false })
    await addToCart(d, b, 'shop', 'teapot')
    // Bounce-tracking protection deletes every cookie of the hub's site.
    for (const host of ['auth.acme.localhost', 'acme.localhost']) b.jar.delete(host)
    await addToCart(d, b, 'shop-de', 'cup')
    assert.notEqual((await d.sessionOf(b, 'shop'))!.id, (await d.sessionOf(b, 'shop-de'))!.id, 'two anonymous sessions now')
    await b.signIn('alice', 'wonderland')
    for (const site of ['hub', ...MEMBERS] as const) {
      assert.equal((await d.sessionOf(b, site))?.user?.username, 'alice', site)
      assert.deepEqual(((await cartOf(d, b, site)) as string[]).sort(), ['cup', 'teapot'], site)
    }
    assert.equal(merged.length, 1)
    assert.deepEqual(merged[0]!.anonymous, { cart: ['teapot'] })
    assert.deepEqual(merged[0]!.adopted, { cart: ['cup'] })
    assert.equal(merged[0]!.site, 'shop')
  })

  test('without a merge function the default fills missing keys; "none" drops the anonymous data as before', async () => {
    for (const [option, expected] of [[undefined, ['teapot']], ['none', undefined]] as const) {
      const d = await createDeployment({ hub: { anonymous: false }, members: option ? { shop: { merge: option } } : {} })
      const b = d.browser()
      await d.seedSession(b, 'shop', { data: { cart: ['teapot'] } })
      await b.signIn('alice', 'wonderland')
      assert.equal((await d.sessionOf(b, 'shop'))?.user?.username, 'alice')
      assert.deepEqual(await cartOf(d, b, 'shop'), expected, String(option))
    }
  })

  test('a signed-in user\'s data never merges into another session', async () => {
    const d = await createDeployment({ members: { shop: { alwaysReplace: true } } })
    const b = d.browser()
    await d.seedSession(b, 'shop', { user: { sub: 'u-mallory', username: 'mallory' }, data: { cart: ['mallory-item'] } })
    await d.seedSession(b, 'hub', { user: { sub: 'u-alice', username: 'alice' } })
    await b.navigate(`${ORIGINS.shop}/_session/sync?return=%2F`, { from: ORIGINS.hub })
    assert.equal((await d.sessionOf(b, 'shop'))?.user?.username, 'alice')
    assert.equal(await cartOf(d, b, 'shop'), undefined)
  })
})

describe('two tabs bouncing at once', () => {
  test('both end on their own page, each with the session', async () => {
    const d = await createDeployment()
    const b = d.browser()
    await d.seedSession(b, 'hub')
    // Both tabs send their first request before either answer arrives: two bounces, two states.
    const first = await b.request(`${ORIGINS.shop}/one`, { from: EVIL })
    const second = await b.request(`${ORIGINS.shop}/two`, { from: EVIL })
    assert.equal(first.status, 302)
    assert.equal(second.status, 302)
    const finish = async (bounce: Response, page: string) => {
      const pull = await b.request(bounce.headers.get('location')!, { chain: [page] })
      const accept = await b.request(pull.headers.get('location')!, { chain: [page, bounce.headers.get('location')!] })
      return accept
    }
    const a = await finish(first, `${ORIGINS.shop}/one`)
    const c = await finish(second, `${ORIGINS.shop}/two`)
    assert.equal(a.status, 303, await a.clone().text())
    assert.equal(a.headers.get('location'), `${ORIGINS.shop}/one`)
    assert.equal(c.status, 303, await c.clone().text())
    assert.equal(c.headers.get('location'), `${ORIGINS.shop}/two`)
    assert.equal((await d.sessionOf(b, 'shop'))?.id, (await d.sessionOf(b, 'hub'))?.id)
  })
})

describe('a sign-out anywhere reaches token-only apps', () => {
  for (const bounce of ['auto', 'never'] as const) test(`signing out at a cross-site member (bounce: '${bounce}') clears the parent-domain token cookie through the hub`, async () => {
    const d = await createDeployment({ members: { shop: { bounce } } })
    const b = d.browser()
    await b.signIn('alice', 'wonderland')
    assert.ok(b.cookie(ORIGINS.flask, TOKEN_COOKIE), 'the token-only app sees the token')
    const pageCookies: string[] = []
    const { value } = await d.members.shop.handle({ method: 'GET', url: `${ORIGINS.shop}/`, headers: new Headers(b.headersFor(`${ORIGINS.shop}/`)) }, { setCookie: (c) => void pageCookies.push(c), setHeader: () => {} })
    b.receive(ORIGINS.shop, pageCookies)
    const { response, chain } = await b.navigate(`${ORIGINS.shop}${value.logoutAction('/')}`, { method: 'POST', from: `${ORIGINS.shop}/` })
    assert.equal(response.status, 200, chain.join(' → '))
    assert.ok(chain.some((u) => u.startsWith(`${ORIGINS.hub}/pull`)), 'the sign-out went through the hub')
    assert.equal(b.cookie(ORIGINS.flask, TOKEN_COOKIE), undefined, 'the token cookie is gone')
    for (const site of ['hub', ...MEMBERS] as const) assert.equal((await d.sessionOf(b, site))?.user ?? null, null, site)
    assert.ok(b.cookie(ORIGINS.shop, SESSION_COOKIE) === undefined || (await d.sessionOf(b, 'shop'))?.user == null)
  })
})
