import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { withoutReserved } from '../../src/sessions/reserved.js'
import { decodeJwt } from 'jose'
import { sidDigest } from '../../src/confirm/cookies.js'
import { createHub } from '../../src/hub/create-hub.js'
import { PENDING_SESSION_MS } from '../../src/hub/pull.js'
import type { SessionUser } from '../../src/stores/store.js'
import type { UserDirectory } from '../../src/users/directory.js'
import { STORE_FACTORIES } from '../helpers/stores.js'
import { formField } from '../helpers/http.js'
import { testRing } from '../helpers/keys.js'
import {
  ALICE,
  createDeployment,
  EVIL,
  LIVE_COOKIE,
  MALLORY,
  MEMBERS,
  ORIGINS,
  SESSION_COOKIE,
  victimState,
  type Browser,
  type Deployment,
} from '../member/fixtures.js'

const TOKEN_COOKIE = '__Secure-ss-token'
/** A host under the parent domain that the attacker controls (user content, marketing). */
const SIBLING = 'https://evil.acme.localhost:4666'

/** The forum reads the hub's token cookie, as a same-site member does. */
const withTokenForum = { members: { forum: { token: { audience: 'acme.localhost' } } } }

/** Mallory signs in with her own browser: her valid token is what a sibling host tosses. */
async function mallorysToken(d: Deployment): Promise<string> {
  const mallory = d.browser()
  await mallory.signIn('mallory', 'hunter2')
  const token = mallory.cookie(ORIGINS.forum, TOKEN_COOKIE)
  assert.ok(token, 'mallory holds a token')
  return token
}

/** The sibling host sets a cookie for the parent domain in the victim's browser. */
function toss(browser: Browser, name: string, value: string): void {
  browser.receive(SIBLING, [`${name}=${value}; Domain=acme.localhost; Path=/; Secure; HttpOnly; SameSite=Lax`])
}

async function whoIsEverywhere(d: Deployment, browser: Browser): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {}
  for (const site of ['hub', ...MEMBERS] as const) out[site] = (await d.sessionOf(browser, site))?.user?.username ?? null
  return out
}

describe('1. a sibling subdomain cannot sign a visitor in as someone else', () => {
  test('a tossed valid token makes no site, nor the hub, hold the attacker\'s session (third-party cookies allowed and blocked)', async () => {
    for (const thirdPartyCookies of [true, false]) {
      const d = await createDeployment(withTokenForum)
      const token = await mallorysToken(d)
      const victim = d.browser({ thirdPartyCookies })
      toss(victim, TOKEN_COOKIE, token)
      // The victim browses: the forum first (where the token is read), its pages' loaders, then every site.
      const forum = await victim.navigate(`${ORIGINS.forum}/`, { from: EVIL })
      assert.equal(forum.response.status, 200)
      const page = await forum.response.text()
      for (const [, src] of page.matchAll(/src="([^"]+)"/g)) await victim.request(src!.replace(/&amp;/g, '&'), { kind: 'script', from: ORIGINS.forum })
      for (const site of ['shop', 'shop-de'] as const) await victim.navigate(`${ORIGINS[site]}/`, { from: ORIGINS.forum })
      assert.deepEqual(await whoIsEverywhere(d, victim), { hub: null, forum: null, shop: null, 'shop-de': null }, `third-party cookies ${thirdPartyCookies}`)
      assert.equal(d.replaced.some((e) => e.site === 'hub'), false, 'nothing entered the hub')
    }
  })

  test('the token is only a reason to pull: a signed-in visitor\'s forum links the hub\'s own session by a pull, never by the token', async () => {
    const d = await createDeployment({ ...withTokenForum, hub: { loginWalk: 'none' } })
    const alice = d.browser()
    await alice.signIn('alice', 'wonderland')
    const { chain } = await alice.navigate(`${ORIGINS.forum}/`, { from: ORIGINS.hub })
    assert.deepEqual(chain.map((u) => new URL(u).origin + new URL(u).pathname), [`${ORIGINS.forum}/`, `${ORIGINS.hub}/pull`, `${ORIGINS.forum}/_session/accept`, `${ORIGINS.forum}/`])
    const forum = await d.sessionOf(alice, 'forum')
    assert.deepEqual({ user: forum?.user?.username, via: forum?.via }, { user: 'alice', via: 'pull' })
    // A second page view: no bounce, the session is held.
    assert.equal((await alice.navigate(`${ORIGINS.forum}/t/1`, { from: `${ORIGINS.forum}/` })).chain.length, 1)
  })

  test('a tossed token for the attacker beside the victim\'s own: forward-auth answers 401 ERR_COOKIE_DUPLICATE, never the attacker', async () => {
    const d = await createDeployment(withTokenForum)
    const token = await mallorysToken(d)
    const alice = d.browser()
    await alice.signIn('alice', 'wonderland')
    const own = alice.cookie(ORIGINS.forum, TOKEN_COOKIE)!
    // The app host's binding cookie: the hub has confirmed alice's session in this browser.
    const bound = `__Host-ss-bound=${sidDigest(decodeJwt(own).sid as string)}.-`
    const single = await d.handle(`${ORIGINS.hub}/forward-auth`, { headers: { cookie: `${TOKEN_COOKIE}=${own}; ${bound}` } })
    assert.equal(single.headers.get('x-auth-user'), 'alice')
    // A narrower Path puts the tossed cookie first in the header: order must decide nothing.
    for (const cookie of [`${TOKEN_COOKIE}=${token}; ${TOKEN_COOKIE}=${own}; ${bound}`, `${TOKEN_COOKIE}=${own}; ${TOKEN_COOKIE}=${token}; ${bound}`]) {
      const r = await d.handle(`${ORIGINS.hub}/forward-auth`, { headers: { cookie } })
      assert.equal(r.status, 401)
      assert.equal(r.headers.get('x-auth-user'), null)
      assert.equal(((await r.json()) as { error: string }).error, 'ERR_COOKIE_DUPLICATE')
      // Redirect mode (Caddy, Traefik, nginx's @login): no 302 to /refresh, which cannot remove a
      // cookie another host set with another Path and would send the browser round for ever.
      const page = await d.handle(`${ORIGINS.hub}/forward-auth?redirect=1`, {
        headers: { cookie, accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'x-forwarded-proto': 'https', 'x-forwarded-host': new URL(ORIGINS.forum).host, 'x-forwarded-uri': '/' },
      })
      assert.equal(page.status, 401)
      assert.equal(page.headers.get('location'), null)
      assert.match(await page.text(), /ERR_COOKIE_DUPLICATE/)
    }
    assert.ok(d.logs.some((l) => l.includes('ERR_COOKIE_DUPLICATE')), 'logged with its code')
  })

  test('two session cookies of one name at a member are no session, whatever their order; nothing is written', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    await d.seedSession(alice, 'shop', { user: ALICE })
    const own = alice.cookie(ORIGINS.shop, SESSION_COOKIE)!
    const malloryBrowser = d.browser()
    await d.seedSession(malloryBrowser, 'shop', { user: MALLORY })
    const theirs = malloryBrowser.cookie(ORIGINS.shop, SESSION_COOKIE)!
    const before = await d.counts()
    for (const cookie of [`${SESSION_COOKIE}=${theirs}; ${SESSION_COOKIE}=${own}`, `${SESSION_COOKIE}=${own}; ${SESSION_COOKIE}=${theirs}`]) {
      const r = await d.handle(`${ORIGINS.shop}/api/me`, { headers: { cookie, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' } })
      assert.match(await r.text(), /session=none/)
    }
    assert.deepEqual(await d.counts(), before)
    assert.ok(d.logs.some((l) => l.includes('ERR_COOKIE_DUPLICATE')))
  })
})

describe('2. a cross-site POST can neither sign the visitor out of a site nor plant data', () => {
  test('a request that could not carry the Lax session cookie reads no session and its writes are refused (ERR_CROSS_SITE_REQUEST)', async () => {
    const d = await createDeployment()
    const victim = d.browser()
    const sessionId = await d.seedSession(victim, 'shop', { user: ALICE, data: { cart: ['teapot'] } })
    const before = await victimState(d, victim)
    // What an auto-submitted form on evil.localhost sends: no Lax cookie, only the SameSite=None live companion.
    const headers = victim.headersFor(`${ORIGINS.shop}/cart`, { kind: 'navigate', method: 'POST', from: EVIL })
    assert.ok(!headers.cookie?.includes(`${SESSION_COOKIE}=`), 'the browser withholds the Lax cookie')
    const cookies: string[] = []
    const { value, response } = await d.members.shop.handle({ method: 'POST', url: `${ORIGINS.shop}/cart`, headers: new Headers(headers) }, { setCookie: (c) => void cookies.push(c), setHeader: () => {} })
    assert.equal(response, undefined)
    assert.equal(value.withheld, true)
    assert.equal(value.id, null)
    await assert.rejects(value.set('cart', ['evil-item']), { code: 'ERR_CROSS_SITE_REQUEST' })
    await assert.rejects(value.logout(), { code: 'ERR_CROSS_SITE_REQUEST' })
    assert.deepEqual(cookies, [], 'no cookie set or cleared')
    assert.deepEqual(await victimState(d, victim), before)
    assert.deepEqual(appData(await d.store.getSession(sessionId, d.clock.now)), { cart: '["teapot"]' })
  })

  test('the same without Sec-Fetch-Site (older browsers): the live companion alone shows the cookie was withheld', async () => {
    const d = await createDeployment()
    const victim = d.browser()
    await d.seedSession(victim, 'shop', { user: ALICE })
    const live = victim.cookie(ORIGINS.shop, LIVE_COOKIE)!
    const { value } = await d.members.shop.handle({ method: 'POST', url: `${ORIGINS.shop}/cart`, headers: new Headers({ cookie: `${LIVE_COOKIE}=${live}`, origin: EVIL }) }, { setCookie: () => {}, setHeader: () => {} })
    assert.equal(value.withheld, true)
    await assert.rejects(value.set('cart', ['x']), { code: 'ERR_CROSS_SITE_REQUEST' })
  })

  test('a same-site page (a first write, a form of this site) still creates and writes the session', async () => {
    const d = await createDeployment()
    const b = d.browser()
    const headers = b.headersFor(`${ORIGINS.shop}/cart`, { kind: 'navigate', method: 'POST', from: `${ORIGINS.shop}/` })
    const cookies: string[] = []
    const { value } = await d.members.shop.handle({ method: 'POST', url: `${ORIGINS.shop}/cart`, headers: new Headers(headers) }, { setCookie: (c) => void cookies.push(c), setHeader: () => {} })
    assert.equal(value.withheld, false)
    await value.set('cart', ['teapot'])
    assert.ok(cookies.some((c) => c.startsWith(`${SESSION_COOKIE}=`)))
  })

  test('the member CSRF helper: a token of this site and a request from it pass; another site, no token, a foreign token are ERR_CSRF', async () => {
    const d = await createDeployment()
    const b = d.browser()
    await d.seedSession(b, 'shop')
    const pageCookies: string[] = []
    const page = await d.members.shop.handle({ method: 'GET', url: `${ORIGINS.shop}/`, headers: new Headers(b.headersFor(`${ORIGINS.shop}/`)) }, { setCookie: (c) => void pageCookies.push(c), setHeader: () => {} })
    const token = page.value.csrfToken()
    b.receive(ORIGINS.shop, pageCookies)
    const post = async (from: string, field: unknown, extra: Record<string, string | null> = {}) => {
      const { value } = await d.members.shop.handle({ method: 'POST', url: `${ORIGINS.shop}/cart`, headers: new Headers(Object.entries(b.headersFor(`${ORIGINS.shop}/cart`, { method: 'POST', from, headers: extra })).filter(([, v]) => v !== null) as [string, string][]) }, { setCookie: () => {}, setHeader: () => {} })
      return () => value.checkCsrf(field)
    }
    assert.doesNotThrow(await post(`${ORIGINS.shop}/`, token))
    assert.throws(await post(`${ORIGINS.shop}/`, undefined), { code: 'ERR_CSRF' })
    assert.throws(await post(`${ORIGINS.shop}/`, 'A'.repeat(43)), { code: 'ERR_CSRF' })
    assert.throws(await post(EVIL, token), { code: 'ERR_CSRF' })
    assert.throws(await post(ORIGINS['shop-de'], token), { code: 'ERR_CSRF' })
    // A token minted by another member (forum) is not shop's.
    const forumPage = await d.members.forum.handle({ method: 'GET', url: `${ORIGINS.forum}/`, headers: new Headers({ cookie: b.headersFor(`${ORIGINS.shop}/`).cookie ?? '' }) }, { setCookie: () => {}, setHeader: () => {} })
    assert.throws(await post(`${ORIGINS.shop}/`, forumPage.value.csrfToken()), { code: 'ERR_CSRF' })
  })
})

describe('3. never a loop, whatever subset of our cookies a browser holds', () => {
  test('holding the live companion but not the session cookie: one pull, then the page, and the next page does not bounce', async () => {
    const d = await createDeployment()
    const b = d.browser()
    await d.seedSession(b, 'shop')
    await b.navigate(`${ORIGINS.hub}/`) // the hub has a session too (in the demo it always does)
    await d.seedSession(b, 'hub')
    b.deleteCookie(ORIGINS.shop, SESSION_COOKIE) // evicted
    const { response, chain } = await b.navigate(`${ORIGINS.shop}/`, { from: EVIL, maxHops: 8 })
    assert.equal(response.status, 200, chain.join(' → '))
    assert.ok(chain.length <= 4)
    assert.equal((await d.sessionOf(b, 'shop'))?.id, (await d.sessionOf(b, 'hub'))?.id)
    assert.equal((await b.navigate(`${ORIGINS.shop}/next`, { from: `${ORIGINS.shop}/` })).chain.length, 1)
  })

  test('a browser that keeps dropping the session cookie still ends on its page, and bounces once per reason, not per page', async () => {
    const d = await createDeployment()
    const b = d.browser()
    await d.seedSession(b, 'hub')
    let bounces = 0
    for (let i = 0; i < 5; i++) {
      b.deleteCookie(ORIGINS.shop, SESSION_COOKIE)
      const { response, chain } = await b.navigate(`${ORIGINS.shop}/p${i}`, { from: EVIL, maxHops: 8 })
      assert.equal(response.status, 200)
      bounces += chain.length > 1 ? 1 : 0
    }
    assert.ok(bounces <= 2, `bounced ${bounces} times`)
  })
})

describe('4. the sign-in rate limit holds under concurrency', () => {
  function countingUsers(): { users: UserDirectory; calls: () => number } {
    let calls = 0
    const alice: SessionUser = { sub: 'u-alice', username: 'alice' }
    return {
      calls: () => calls,
      users: {
        async authenticate(username, password) {
          calls++
          await new Promise((resolve) => setTimeout(resolve, 20)) // a slow hash: guesses overlap
          return username === 'alice' && password === 'wonderland' ? alice : null
        },
      },
    }
  }

  async function guess(hub: ReturnType<typeof createHub>, password: string, address: string): Promise<number> {
    const origin = hub.origin
    const form = await hub.fetch(new Request(`${origin}/login`), { clientAddress: address })
    const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
    const body = new URLSearchParams({ csrf: formField(await form.text(), 'csrf'), username: 'alice', password })
    const r = await hub.fetch(new Request(`${origin}/login`, { method: 'POST', headers: { origin, cookie, 'content-type': 'application/x-www-form-urlencoded' }, body }), { clientAddress: address })
    return r.status
  }

  test('30 guesses at once from 30 addresses: at most the limit is evaluated, the right password among the rest gets 429 too', async () => {
    const { store, cleanup } = await STORE_FACTORIES.memory()
    try {
      const counted = countingUsers()
      const hub = createHub({ origin: 'https://auth.acme.localhost:4000', keys: await testRing(), store, users: counted.users, rateLimit: { perAccount: { max: 5, windowMs: 60_000 } } })
      const passwords = Array.from({ length: 30 }, (_, i) => (i === 29 ? 'wonderland' : `guess-${i}`))
      const statuses = await Promise.all(passwords.map((p, i) => guess(hub, p, `10.0.${i}.1`)))
      assert.equal(counted.calls(), 5, 'exactly the limit was evaluated')
      assert.equal(statuses.filter((s) => s === 429).length, 25)
      assert.equal(statuses.filter((s) => s === 303).length, 0)
    } finally {
      await cleanup()
    }
  })

  test('a success is forgiven: a person who signs in often is never locked out', async () => {
    const counted = countingUsers()
    const hub = createHub({ origin: 'https://auth.acme.localhost:4000', keys: await testRing(), store: (await STORE_FACTORIES.memory()).store, users: counted.users, rateLimit: { perAccount: { max: 3, windowMs: 60_000 }, perAddress: { max: 3, windowMs: 60_000 } } })
    for (let i = 0; i < 10; i++) assert.equal(await guess(hub, 'wonderland', '10.1.1.1'), 303, `sign-in ${i + 1}`)
  })
})

describe('5. signing in as another user never carries the previous user\'s data', () => {
  test('alice fills her cart, mallory signs in on the same browser: mallory\'s session has no cart, on any site', async () => {
    const d = await createDeployment()
    const b = d.browser()
    await b.signIn('alice', 'wonderland')
    const aliceSession = (await d.sessionOf(b, 'hub'))!
    await d.store.patchSession(aliceSession.id, { set: { cart: '["alice-item"]' }, unset: [] })
    await b.signIn('mallory', 'hunter2')
    for (const site of ['hub', ...MEMBERS] as const) {
      const s = await d.sessionOf(b, site)
      assert.equal(s?.user?.username, 'mallory', site)
      assert.deepEqual(appData(await d.store.getSession(s!.id, d.clock.now)), {}, `${site}: nothing of alice's`)
    }
  })

  test('an anonymous cart still carries into the first sign-in', async () => {
    const d = await createDeployment()
    const b = d.browser()
    await b.navigate(`${ORIGINS.shop}/`)
    const anon = (await d.sessionOf(b, 'shop'))!
    await d.store.patchSession(anon.id, { set: { cart: '["teapot"]' }, unset: [] })
    await b.signIn('alice', 'wonderland')
    const s = (await d.sessionOf(b, 'shop'))!
    assert.deepEqual(appData(await d.store.getSession(s.id, d.clock.now)), { cart: '["teapot"]' })
  })
})

describe('6. a flood of pulls cannot fill the store', () => {
  test('500 GET /pull from a plain HTTP client: 400 each, no store write at all', async () => {
    const d = await createDeployment()
    const before = await d.counts()
    for (let i = 0; i < 500; i++) {
      const r = await d.handle(`${ORIGINS.hub}/pull?dst=shop&bind=${'A'.repeat(43)}&return=%2F`, { headers: { 'user-agent': 'curl/8.5', accept: '*/*' } })
      assert.equal(r.status, 400)
      assert.equal(r.headers.getSetCookie().length, 0)
    }
    assert.deepEqual(await d.counts(), before)
  })

  test('browser-looking pulls from one address make a bounded number of sessions, each gone in minutes unless a member takes it', async () => {
    const d = await createDeployment()
    const nav = { 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'cross-site', accept: 'text/html' }
    for (let i = 0; i < 200; i++) await d.handle(`${ORIGINS.hub}/pull?dst=shop&bind=${'A'.repeat(43)}&return=%2F`, { headers: nav })
    const flooded = await d.counts()
    assert.ok(flooded.sessions <= 60, `${flooded.sessions} sessions`)
    d.clock.advance(PENDING_SESSION_MS / 1000 + 1)
    assert.equal((await d.counts()).sessions, 0, 'untaken sessions expire in minutes, not a day')
  })

  test('a session a member took lives on as long as any', async () => {
    const d = await createDeployment()
    const b = d.browser()
    await b.navigate(`${ORIGINS.shop}/`)
    d.clock.advance(PENDING_SESSION_MS / 1000 + 60)
    assert.ok(await d.sessionOf(b, 'shop'), 'still there after the pending period')
  })
})

describe('7. a return URL accepted at the start of a sign-in completes the whole walk', () => {
  test('a 2,000-character return URL: every member is linked and the browser lands on it', async () => {
    const d = await createDeployment()
    const b = d.browser()
    const back = `${ORIGINS.shop}/search?q=${'x'.repeat(2000 - `${ORIGINS.shop}/search?q=`.length)}`
    assert.equal(back.length, 2000)
    const { response, chain } = await b.signIn('alice', 'wonderland', back)
    assert.equal(response.status, 200, chain.slice(-3).join(' → '))
    assert.equal(chain.at(-1), back)
    for (const site of ['hub', ...MEMBERS] as const) assert.equal((await d.sessionOf(b, site))?.user?.username, 'alice', site)
  })
})

describe('8. smaller findings', () => {
  test('a page carrying the loader says its Referrer-Policy', async () => {
    const d = await createDeployment()
    const b = d.browser()
    await d.seedSession(b, 'shop')
    const headers: Record<string, string> = {}
    const { value } = await d.members.shop.handle({ method: 'GET', url: `${ORIGINS.shop}/`, headers: new Headers(b.headersFor(`${ORIGINS.shop}/`)) }, { setCookie: () => {}, setHeader: (n, v) => void (headers[n] = v) })
    assert.notEqual(value.loader(), '')
    assert.equal(headers['referrer-policy'], 'strict-origin-when-cross-origin')
    assert.equal(headers['cache-control'], 'private, no-store')
  })

  test('the member sign-out from a client that sends neither Origin nor Sec-Fetch-Site needs the CSRF token', async () => {
    const d = await createDeployment()
    const b = d.browser()
    const sessionId = await d.seedSession(b, 'shop', { user: ALICE })
    const cookie = b.headersFor(`${ORIGINS.shop}/`).cookie!
    const bare = await d.handle(`${ORIGINS.shop}/_session/logout?return=%2F`, { method: 'POST', headers: { cookie } })
    assert.equal(bare.status, 403)
    assert.ok(await d.store.getSession(sessionId, d.clock.now), 'still signed in')
    const pageCookies: string[] = []
    const { value } = await d.members.shop.handle({ method: 'GET', url: `${ORIGINS.shop}/`, headers: new Headers({ cookie }) }, { setCookie: (c) => void pageCookies.push(c), setHeader: () => {} })
    const action = value.logoutAction('/')
    b.receive(ORIGINS.shop, pageCookies)
    const ok = await d.handle(`${ORIGINS.shop}${action}`, { method: 'POST', headers: { cookie: b.headersFor(`${ORIGINS.shop}/`).cookie! } })
    assert.equal(ok.status, 303)
    assert.equal(await d.store.getSession(sessionId, d.clock.now), null, 'signed out')
  })
})

/** A session's data as apps see it: the session map's reserved keys (device, sites) left out. */
function appData(record: { data: Record<string, string> } | null): Record<string, string> | undefined {
  return record ? withoutReserved(record.data) : undefined
}
