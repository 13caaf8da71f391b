import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { bindingOf } from '../../src/member/bounce.js'
import { createDeployment, EVIL, ORIGINS, SESSION_COOKIE, STATE_COOKIE } from './fixtures.js'

describe('bounce decision', () => {
  test('a top-level GET navigation without a session bounces once: 302 to hub /pull with dst, bind, return; a Lax HttpOnly state cookie', async () => {
    const d = await createDeployment()
    const b = d.browser()
    const r = await b.request(`${ORIGINS.shop}/cart/items?x=1&y=%2F`, { from: EVIL })
    assert.equal(r.status, 302)
    const location = new URL(r.headers.get('location')!)
    assert.equal(`${location.origin}${location.pathname}`, `${ORIGINS.hub}/pull`)
    assert.equal(location.searchParams.get('dst'), 'shop')
    assert.equal(location.searchParams.get('return'), '/cart/items?x=1&y=%2F')
    const [name, state] = [...b.stateCookies(ORIGINS.shop)][0]!
    assert.match(name, new RegExp(`^${STATE_COOKIE}[A-Za-z0-9_-]{8}$`), 'a state cookie of its own per bounce')
    assert.equal(location.searchParams.get('bind'), bindingOf(state), 'bind is the hash of the state, never the state')
    assert.ok(!location.href.includes(state))
    const line = b.cookieLine(ORIGINS.shop, name)!
    assert.match(line, /HttpOnly/)
    assert.match(line, /SameSite=Lax/)
    assert.match(line, /Max-Age=\d+/)
    assert.equal(r.headers.get('cache-control'), 'no-store')
    assert.equal(d.logs.length, 0)
  })

  const noBounce: [string, (d: Awaited<ReturnType<typeof createDeployment>>) => Promise<Response>][] = [
    ['POST', (d) => d.browser().request(`${ORIGINS.shop}/cart`, { method: 'POST', from: `${ORIGINS.shop}/`, body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
    ['fetch() (sec-fetch-mode cors)', (d) => d.browser().request(`${ORIGINS.shop}/api/cart`, { kind: 'fetch', from: `${ORIGINS.shop}/` })],
    ['a script', (d) => d.browser().request(`${ORIGINS.shop}/app.js`, { kind: 'script', from: `${ORIGINS.shop}/` })],
    ['an image', (d) => d.browser().request(`${ORIGINS.shop}/logo.png`, { kind: 'image', from: EVIL })],
    ['an iframe', (d) => d.browser().request(`${ORIGINS.shop}/widget`, { kind: 'iframe', from: EVIL })],
    ['Googlebot', (d) => d.browser({ userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }).request(`${ORIGINS.shop}/`)],
    ['curl (no Sec-Fetch, no text/html)', (d) => d.browser({ userAgent: 'curl/8.0' }).request(`${ORIGINS.shop}/`, { headers: { accept: '*/*', 'sec-fetch-mode': null, 'sec-fetch-dest': null, 'sec-fetch-site': null } })],
    ['a URL with ss-nocookies', (d) => d.browser().request(`${ORIGINS.shop}/cart?ss-nocookies=1`, { from: EVIL })],
    ['HEAD', (d) => d.browser().request(`${ORIGINS.shop}/`, { method: 'HEAD' })],
  ]
  for (const [name, run] of noBounce) {
    test(`never bounces: ${name}`, async () => {
      const d = await createDeployment()
      const r = await run(d)
      assert.equal(r.status, 200, name)
      assert.deepEqual(r.headers.getSetCookie(), [], 'no state cookie either')
      assert.deepEqual(await d.counts(), { sessions: 0, links: 0, nonces: 0 })
    })
  }

  test("never bounces with bounce: 'never'", async () => {
    const d = await createDeployment({ members: { shop: { bounce: 'never' } } })
    const r = await d.browser().request(`${ORIGINS.shop}/`, { from: EVIL })
    assert.equal(r.status, 200)
  })

  test('never bounces while the record of a pull for the same credentials lives; a stale session cookie (session destroyed) is new and bounces', async () => {
    const d = await createDeployment({ hub: { anonymous: false } })
    const b = d.browser()
    assert.equal((await b.navigate(`${ORIGINS.shop}/`, { from: EVIL })).chain.length, 4, 'one pull, which brings nothing')
    assert.ok(b.triedRecord(ORIGINS.shop))
    assert.equal((await b.request(`${ORIGINS.shop}/`, { from: EVIL })).status, 200)
    const sessionId = await d.seedSession(b, 'shop')
    await d.store.deleteSession(sessionId) // logged out elsewhere
    const r = await b.request(`${ORIGINS.shop}/`, { from: EVIL })
    assert.equal(r.status, 302)
    assert.match(r.headers.get('location')!, /\/pull\?/)
  })

  test('a stale or garbage cookie on a request that is not bounced (a subresource) opens nothing, writes nothing and is left for the next pull to clear', async () => {
    const d = await createDeployment()
    const b = d.browser()
    b.setCookie(ORIGINS.shop, SESSION_COOKIE, 'garbage', 'none')
    const r = await b.request(`${ORIGINS.shop}/api`, { kind: 'fetch', from: `${ORIGINS.shop}/` })
    assert.equal(r.status, 200)
    assert.match(await r.text(), /session=none/)
    assert.deepEqual(r.headers.getSetCookie(), [])
    assert.deepEqual(await d.counts(), { sessions: 0, links: 0, nonces: 0 })
  })

  test('a page whose path starts with // still bounces and comes back to it', async () => {
    const d = await createDeployment()
    const b = d.browser()
    const { response, chain } = await b.navigate(`${ORIGINS.shop}//double/slash?q=1`, { from: EVIL })
    assert.equal(response.status, 200, chain.join(' → '))
    assert.equal(chain.at(-1), `${ORIGINS.shop}//double/slash?q=1`)
    assert.ok(await d.sessionOf(b, 'shop'))
  })

  test('a page with a very long query still serves the page after at most one bounce', async () => {
    const d = await createDeployment()
    const b = d.browser()
    const url = `${ORIGINS.shop}/search?q=${'a'.repeat(3000)}`
    const { response, chain } = await b.navigate(url, { from: EVIL })
    assert.equal(response.status, 200, `${response.status} after ${chain.length} hops`)
    assert.equal(chain.at(-1)?.split('?')[0], `${ORIGINS.shop}/search`)
  })

  test('cookies disabled end to end: never a loop, at most one bounce per page load, the page is served', async () => {
    const d = await createDeployment()
    const b = d.browser({ cookies: false })
    const first = await b.navigate(`${ORIGINS.shop}/cart?x=1`, { from: EVIL, maxHops: 6 })
    assert.equal(first.response.status, 200)
    assert.deepEqual(first.chain.map((u) => new URL(u).origin + new URL(u).pathname), [
      `${ORIGINS.shop}/cart`,
      `${ORIGINS.hub}/pull`,
      `${ORIGINS.shop}/_session/accept`,
      `${ORIGINS.shop}/cart`,
    ])
    assert.equal(first.chain.at(-1), `${ORIGINS.shop}/cart?x=1&ss-nocookies=1`)
    // Clicking on within the site: no cookies come back at all, so no bounce.
    const next = await b.navigate(`${ORIGINS.shop}/other`, { from: first.chain.at(-1)!, maxHops: 6 })
    assert.equal(next.response.status, 200)
    assert.equal(next.chain.length, 1)
    // Typed URL or coming from another site: one bounce, then the page.
    for (const from of [undefined, EVIL, ORIGINS.forum]) {
      const again = await b.navigate(`${ORIGINS['shop-de']}/`, { ...(from ? { from } : {}), maxHops: 6 })
      assert.equal(again.response.status, 200)
      assert.ok(again.chain.length <= 4, again.chain.join(' → '))
    }
    assert.deepEqual(d.replaced, [], 'no member linked anything')
    // (Each cookieless bounce leaves the hub one new anonymous session it can never find again.)
    const counts = await d.counts()
    assert.equal(counts.links, counts.sessions, 'only the hub\'s own link of each')
  })

  test('third-party cookies blocked (a real pull is first-party at every step): the site links', async () => {
    const d = await createDeployment()
    const b = d.browser({ thirdPartyCookies: false })
    await d.seedSession(b, 'hub')
    const { response, chain } = await b.navigate(`${ORIGINS['shop-de']}/`, { from: EVIL })
    assert.equal(response.status, 200)
    assert.equal(chain.length, 4)
    assert.equal((await d.sessionOf(b, 'shop-de'))?.id, (await d.sessionOf(b, 'hub'))?.id)
  })
})
