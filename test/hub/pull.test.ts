import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { openHandoff } from '../../src/handoff/open.js'
import { bindingOf } from '../../src/member/bounce.js'
import { ALICE, assertRefused, createDeployment, EVIL, ORIGINS, SESSION_COOKIE, STATE_COOKIE, type Deployment } from '../member/fixtures.js'

const state = () => randomBytes(32).toString('base64url')
const BIND = bindingOf(state())

function pullUrl(params: Record<string, string>): string {
  return `${ORIGINS.hub}/pull?${new URLSearchParams(params)}`
}

/** GET /pull as a browser's top-level redirect from a member would. */
function pull(d: Deployment, params: Record<string, string> | string, cookie?: string, headers: Record<string, string> = {}): Promise<Response> {
  const url = typeof params === 'string' ? params : pullUrl(params)
  return d.handle(url, {
    headers: { 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'cross-site', accept: 'text/html', ...(cookie ? { cookie } : {}), ...headers },
  })
}

describe('hub /pull', () => {
  test('unconfigured dst, dst=hub, a token-only site, or none → ERR_PAYLOAD_WRONG_DESTINATION', async () => {
    const d = await createDeployment()
    for (const dst of ['evil', 'hub', 'flask', '', 'SHOP', 'shop ', '__proto__', 'constructor']) {
      await assertRefused(await pull(d, { dst, bind: BIND, return: '/' }), 'ERR_PAYLOAD_WRONG_DESTINATION', `dst=${dst}`)
    }
    await assertRefused(await pull(d, { bind: BIND, return: '/' }), 'ERR_PAYLOAD_WRONG_DESTINATION', 'no dst')
    assert.deepEqual(await d.counts(), { sessions: 0, links: 0, nonces: 0 })
  })

  test('malformed bind → ERR_PAYLOAD_BINDING', async () => {
    const d = await createDeployment()
    for (const bind of ['', 'short', BIND.slice(0, -1), `${BIND}A`, BIND.replace(/.$/, 'B'), '+'.repeat(43), createHash('sha1').update('x').digest('base64url')]) {
      await assertRefused(await pull(d, { dst: 'shop', bind, return: '/' }), 'ERR_PAYLOAD_BINDING', `bind=${bind}`)
    }
    await assertRefused(await pull(d, { dst: 'shop', return: '/' }), 'ERR_PAYLOAD_BINDING', 'no bind')
    assert.deepEqual(await d.counts(), { sessions: 0, links: 0, nonces: 0 })
  })

  test('off-site return URLs (plain and encoded) → ERR_RETURN_URL, no Location', async () => {
    const d = await createDeployment()
    const evil = [
      '//evil.localhost',
      '//evil.localhost/x',
      'https://evil.localhost/',
      `${EVIL}/`,
      '/\\evil.localhost',
      '\\\\evil.localhost',
      '/\t/evil.localhost',
      '/\n/evil.localhost',
      ' //evil.localhost',
      'javascript:alert(1)',
      'data:text/html,x',
      `${ORIGINS.shop}@evil.localhost/`,
      `http://user:pw@shop.localhost:4002/`,
      'http://shop.localhost:4002.evil.localhost/',
      'https:evil.localhost',
      'http:/evil.localhost',
      'x'.repeat(3000),
      `/${'x'.repeat(3000)}`,
    ]
    for (const back of evil) {
      const r = await pull(d, { dst: 'shop', bind: BIND, return: back })
      await assertRefused(r, 'ERR_RETURN_URL', JSON.stringify(back))
      assert.equal(r.headers.get('location'), null)
    }
    // Encoded by hand: %2F%2F decodes to // once (refused); twice-encoded stays a harmless relative-looking string.
    for (const raw of ['%2F%2Fevil.localhost', '%2F%5Cevil.localhost', 'https%3A%2F%2Fevil.localhost', '%09%2F%2Fevil.localhost', '%252F%252Fevil.localhost']) {
      const r = await pull(d, `${ORIGINS.hub}/pull?dst=shop&bind=${BIND}&return=${raw}`)
      assert.ok(r.status === 400 || new URL(r.headers.get('location')!).origin === ORIGINS.shop, raw)
      if (r.status === 400) await assertRefused(r, 'ERR_RETURN_URL', raw)
      else {
        const back = new URL(new URL(r.headers.get('location')!).searchParams.get('return')!)
        assert.equal(back.origin, ORIGINS.shop, `${raw} stays on shop`)
      }
    }
    assert.deepEqual(await d.counts(), { sessions: 0, links: 0, nonces: 0 }, 'a refused pull creates nothing')
  })

  test('a return path resolves on the destination; a return on another configured origin is kept', async () => {
    const d = await createDeployment()
    const r = await pull(d, { dst: 'shop', bind: BIND, return: '/cart?x=1' })
    assert.equal(r.status, 302)
    const accept = new URL(r.headers.get('location')!)
    assert.equal(`${accept.origin}${accept.pathname}`, `${ORIGINS.shop}/_session/accept`)
    assert.equal(accept.searchParams.get('return'), `${ORIGINS.shop}/cart?x=1`)
    const r2 = await pull(d, { dst: 'shop', bind: BIND, return: `${ORIGINS.forum}/t/1` })
    assert.equal(new URL(r2.headers.get('location')!).searchParams.get('return'), `${ORIGINS.forum}/t/1`)
  })

  test('walk: unknown, token-only or hub sites → 4xx; a valid walk goes along to accept, next to the return URL, never nested in it', async () => {
    const d = await createDeployment()
    for (const walk of ['evil', 'shop,evil', 'flask', 'hub', 'shop,,x', '../x', 'a'.repeat(100)]) {
      const r = await pull(d, { dst: 'shop', bind: BIND, return: '/', walk })
      assert.ok(r.status >= 400 && r.status < 500, `walk=${walk}: ${r.status}`)
      await assertRefused(r, 'ERR_RETURN_URL', `walk=${walk}`)
    }
    const ok = await pull(d, { dst: 'shop', bind: BIND, return: `${ORIGINS.hub}/`, walk: 'forum,shop-de' })
    const accept = new URL(ok.headers.get('location')!)
    assert.equal(accept.searchParams.get('return'), `${ORIGINS.hub}/`)
    assert.equal(accept.searchParams.get('walk'), 'forum,shop-de')
  })

  test('sec-fetch-dest other than document → ERR_TRANSPORT', async () => {
    const d = await createDeployment()
    for (const dest of ['image', 'script', 'iframe', 'empty']) {
      await assertRefused(await pull(d, { dst: 'shop', bind: BIND, return: '/' }, undefined, { 'sec-fetch-dest': dest }), 'ERR_TRANSPORT', dest)
    }
    assert.deepEqual(await d.counts(), { sessions: 0, links: 0, nonces: 0 })
  })

  test('anonymous sharing on: with no hub session, the hub creates one, sets its own cookie, and hands it over', async () => {
    const d = await createDeployment()
    const st = state()
    const r = await pull(d, { dst: 'shop', bind: bindingOf(st), return: '/' })
    assert.equal(r.status, 302)
    assert.equal(r.headers.get('cache-control'), 'no-store')
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer')
    const hubCookie = r.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!
    assert.match(hubCookie, /HttpOnly/)
    assert.match(hubCookie, /SameSite=Lax/)
    assert.match(hubCookie, /Secure/)
    assert.deepEqual(await d.counts(), { sessions: 1, links: 1, nonces: 0 })
    const p = new URL(r.headers.get('location')!).searchParams.get('p')!
    const payload = openHandoff(d.ring, p, { dst: 'shop', sources: new Set(['hub']), bind: bindingOf(st), now: d.clock.now })
    assert.ok(payload.ref, 'carries a session')
    assert.equal(payload.src, 'hub')
    assert.ok(payload.exp - payload.iat <= 30)
    // With its cookie, the next pull hands over the same session and creates nothing.
    const again = await pull(d, { dst: 'shop-de', bind: BIND, return: '/' }, hubCookie.split(';')[0])
    assert.deepEqual(again.headers.getSetCookie(), [])
    const p2 = new URL(again.headers.get('location')!).searchParams.get('p')!
    assert.equal(openHandoff(d.ring, p2, { dst: 'shop-de', sources: new Set(['hub']), bind: BIND, now: d.clock.now }).ref, payload.ref)
    assert.deepEqual(await d.counts(), { sessions: 1, links: 1, nonces: 0 })
  })

  test('the hub hands over the logged-in session it holds', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    const id = await d.seedSession(alice, 'hub', { user: ALICE })
    const r = await pull(d, { dst: 'shop', bind: BIND, return: '/' }, `${SESSION_COOKIE}=${alice.cookie(ORIGINS.hub, SESSION_COOKIE)}`)
    const p = new URL(r.headers.get('location')!).searchParams.get('p')!
    assert.equal(openHandoff(d.ring, p, { dst: 'shop', sources: new Set(['hub']), bind: BIND, now: d.clock.now }).ref, id)
  })

  test('anonymous sharing off: a bound "no session" answer, nothing created', async () => {
    const d = await createDeployment({ hub: { anonymous: false } })
    const r = await pull(d, { dst: 'shop', bind: BIND, return: '/' })
    assert.equal(r.status, 302)
    assert.deepEqual(r.headers.getSetCookie(), [])
    assert.equal(r.headers.get('cache-control'), 'no-store')
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer')
    const p = new URL(r.headers.get('location')!).searchParams.get('p')!
    const payload = openHandoff(d.ring, p, { dst: 'shop', sources: new Set(['hub']), bind: BIND, now: d.clock.now })
    assert.equal(payload.ref, null)
    assert.equal(payload.bind, BIND)
    assert.deepEqual(await d.counts(), { sessions: 0, links: 0, nonces: 0 })
  })

  test('the payload in the accept URL is bound: with another state it fails, and is spent', async () => {
    const d = await createDeployment()
    const st = state()
    const r = await pull(d, { dst: 'shop', bind: bindingOf(st), return: '/' })
    const accept = r.headers.get('location')!
    const p = new URL(accept).searchParams.get('p')!
    assert.throws(() => openHandoff(d.ring, p, { dst: 'shop', sources: new Set(['hub']), now: d.clock.now }), { code: 'ERR_PAYLOAD_BINDING' })
    assert.throws(() => openHandoff(d.ring, p, { dst: 'shop', sources: new Set(['hub']), bind: BIND, now: d.clock.now }), { code: 'ERR_PAYLOAD_BINDING' })
    // As a push it is refused (and so not linked)...
    const asPush = await d.handle(`${ORIGINS.shop}/_session/push/${p}.js`, { headers: { 'sec-fetch-dest': 'script', referer: `${ORIGINS.hub}/` } })
    await assertRefused(asPush, 'ERR_PAYLOAD_BINDING')
    // ...and spent: even the right browser cannot use it now. A fresh answer, sent to a browser with another state:
    await assertRefused(await d.handle(accept, { headers: { cookie: `${STATE_COOKIE}abcdefgh=${st}` } }), 'ERR_PAYLOAD_REPLAYED')
    const again = new URL((await pull(d, { dst: 'shop', bind: bindingOf(st), return: '/' })).headers.get('location')!)
    await assertRefused(await d.handle(again.href, { headers: { cookie: `${STATE_COOKIE}abcdefgh=${state()}; x=1` } }), 'ERR_PAYLOAD_BINDING')
    await assertRefused(await d.handle(again.href, { headers: { cookie: `${STATE_COOKIE}abcdefgh=${st}` } }), 'ERR_PAYLOAD_REPLAYED')
    const third = new URL((await pull(d, { dst: 'shop', bind: bindingOf(st), return: '/' })).headers.get('location')!)
    assert.equal((await d.handle(third.href, { headers: { cookie: `${STATE_COOKIE}abcdefgh=${st}` } })).status, 303)
  })

  test('only GET; other methods are 405, never 5xx', async () => {
    const d = await createDeployment()
    const r = await d.handle(pullUrl({ dst: 'shop', bind: BIND, return: '/' }), { method: 'POST', headers: { origin: EVIL } })
    assert.equal(r.status, 405)
  })
})
