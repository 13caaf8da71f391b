import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { bindingOf } from '../../src/member/bounce.js'
import {
  ALICE,
  assertRefused,
  createDeployment,
  EVIL,
  MALLORY,
  ORIGINS,
  SESSION_COOKIE,
  STATE_COOKIE,
  victimState,
  type Browser,
  type Deployment,
  type MemberName,
} from './fixtures.js'

/** Walk a pull by hand: the member's bounce, the hub's answer. Returns the accept URL, not yet opened. */
async function pullUpTo(browser: Browser, site: MemberName, path = '/cart?x=1', from?: string): Promise<{ accept: string; bounce: Response; pull: Response }> {
  const bounce = await browser.request(`${ORIGINS[site]}${path}`, from === undefined ? {} : { from })
  assert.equal(bounce.status, 302, 'the member bounces')
  const pull = await browser.request(bounce.headers.get('location')!, { from, chain: [`${ORIGINS[site]}${path}`] })
  assert.equal(pull.status, 302, `the hub answers (${pull.status} ${await pull.clone().text()})`)
  const accept = pull.headers.get('location')!
  assert.ok(accept.startsWith(`${ORIGINS[site]}/_session/accept?`), accept)
  return { accept, bounce, pull }
}

/** The attacker's own accept URL: a pull bound to the attacker's state, carrying the attacker's session. */
async function attackerAcceptUrl(d: Deployment, site: MemberName): Promise<{ accept: string; mallory: Browser; sessionId: string }> {
  const mallory = d.browser()
  const sessionId = await d.seedSession(mallory, 'hub', { user: MALLORY })
  const { accept } = await pullUpTo(mallory, site)
  return { accept, mallory, sessionId }
}

/** A victim's state without the count of spent nonces: a refused pull answer is spent on purpose. */
async function victimStateButNonces(d: Deployment, browser: Browser): Promise<unknown> {
  const state = (await victimState(d, browser)) as { counts: Record<string, number> }
  return { ...state, counts: { ...state.counts, nonces: undefined } }
}

describe('accept: the end of a pull', () => {
  test('valid flow: bounce → hub /pull → accept links with SameSite=Lax, turns the state into the record of this pull, lands on the clean return path', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    const hubSession = await d.seedSession(alice, 'hub', { user: ALICE })
    const { accept } = await pullUpTo(alice, 'shop-de', '/cart?x=1')
    const state = alice.pendingState(ORIGINS['shop-de'])!
    assert.ok(state)
    const response = await alice.request(accept, { from: `${ORIGINS['shop-de']}/cart?x=1`, chain: [`${ORIGINS.hub}/pull`] })
    assert.equal(response.status, 303)
    assert.equal(response.headers.get('location'), `${ORIGINS['shop-de']}/cart?x=1`)
    assert.equal(response.headers.get('cache-control'), 'no-store')
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer')
    const cookies = response.headers.getSetCookie()
    const session = cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`) && !/Max-Age=0/.test(c))!
    assert.match(session, /SameSite=Lax/)
    assert.match(session, /HttpOnly/)
    assert.match(session, /Secure/)
    assert.ok(cookies.some((c) => c.startsWith(STATE_COOKIE) && /=t\./.test(c) && /HttpOnly/.test(c)), 'the state now records the pull')
    assert.equal(alice.pendingState(ORIGINS['shop-de']), undefined)
    assert.ok(alice.triedRecord(ORIGINS['shop-de']))
    assert.deepEqual(alice.rejected, [])
    assert.deepEqual(await d.sessionOf(alice, 'shop-de'), { id: hubSession, via: 'pull', user: ALICE })
    assert.deepEqual(d.replaced, [{ site: 'shop-de', src: 'hub', dst: 'shop-de', wasEmpty: true, via: 'pull' }])
    // The page itself now has the session and does not bounce.
    const page = await alice.request(`${ORIGINS['shop-de']}/cart?x=1`, { from: ORIGINS.hub, chain: [accept] })
    assert.equal(page.status, 200)
    assert.match(await page.text(), new RegExp(`session=${hubSession}`))
    assert.deepEqual(d.logs, [])
  })

  test('without a state cookie (but with the victim\'s other cookies): nothing linked, the answer spent, back to the page flagged', async () => {
    const d = await createDeployment({ members: { 'shop-de': { alwaysReplace: true } } })
    const victim = d.browser()
    await d.seedSession(victim, 'shop-de', { user: ALICE })
    const { accept, mallory } = await attackerAcceptUrl(d, 'shop-de')
    const before = await victimStateButNonces(d, victim)
    const r = await victim.request(accept, { from: EVIL })
    assert.equal(r.status, 303)
    assert.equal(r.headers.get('location'), `${ORIGINS['shop-de']}/cart?x=1&ss-nocookies=1`)
    assert.deepEqual(r.headers.getSetCookie(), [])
    assert.deepEqual(await victimStateButNonces(d, victim), before)
    assert.deepEqual(d.replaced, [])
    await assertRefused(await mallory.request(accept), 'ERR_PAYLOAD_REPLAYED')
  })

  test('with another browser\'s state cookie (the victim\'s own pull in flight) → ERR_PAYLOAD_BINDING, and the answer is spent', async () => {
    const d = await createDeployment({ members: { 'shop-de': { alwaysReplace: true } } })
    const victim = d.browser()
    await d.seedSession(victim, 'hub', { user: ALICE })
    // The victim has a pull of their own under way: their state cookie is set.
    await victim.request(`${ORIGINS['shop-de']}/`)
    assert.ok(victim.pendingState(ORIGINS['shop-de']))
    const { accept, mallory } = await attackerAcceptUrl(d, 'shop-de')
    const before = await victimStateButNonces(d, victim)
    await assertRefused((await victim.navigate(accept, { from: EVIL })).response, 'ERR_PAYLOAD_BINDING')
    assert.deepEqual(await victimStateButNonces(d, victim), before)
    // Spent: a pull answer that reached the wrong browser (a leaked URL) is good for nothing afterwards.
    await assertRefused(await mallory.request(accept), 'ERR_PAYLOAD_REPLAYED')
    assert.equal(await d.sessionOf(mallory, 'shop-de'), null)
  })

  test('a forged state cookie that is not well formed holds no state: nothing linked', async () => {
    const d = await createDeployment()
    const { accept } = await attackerAcceptUrl(d, 'shop')
    const victim = d.browser()
    victim.setCookie(ORIGINS.shop, `${STATE_COOKIE}abcdefgh`, 'not-a-state')
    const r = await victim.request(accept)
    assert.equal(r.status, 303)
    assert.match(r.headers.get('location')!, /ss-nocookies=1/)
    assert.equal(await d.sessionOf(victim, 'shop'), null)
  })

  test('with no cookies at all (cookies disabled) → 303 to the return path with ss-nocookies=1, nothing linked', async () => {
    const d = await createDeployment()
    const { accept } = await attackerAcceptUrl(d, 'shop')
    const before = await d.counts()
    const noCookies = d.browser({ cookies: false })
    const response = await noCookies.request(accept, { from: EVIL })
    assert.equal(response.status, 303)
    assert.equal(response.headers.get('location'), `${ORIGINS.shop}/cart?x=1&ss-nocookies=1`)
    assert.deepEqual(response.headers.getSetCookie(), [])
    assert.deepEqual(await d.counts(), before, 'nothing linked, no jti burned')
    assert.deepEqual(d.replaced, [])
  })

  test('replayed accept URL (same browser, the state held again or not) → ERR_PAYLOAD_REPLAYED', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    await d.seedSession(alice, 'hub', { user: ALICE })
    const { accept } = await pullUpTo(alice, 'shop')
    const [name, state] = [...alice.stateCookies(ORIGINS.shop)][0]!
    assert.equal((await alice.request(accept)).status, 303)
    const before = await victimStateButNonces(d, alice)
    await assertRefused(await alice.request(accept), 'ERR_PAYLOAD_REPLAYED')
    // A second tab (or the back button) that still sends the same state cookie:
    const record = alice.stateCookies(ORIGINS.shop).get(name)!
    alice.setCookie(ORIGINS.shop, name, state)
    await assertRefused(await alice.request(accept), 'ERR_PAYLOAD_REPLAYED')
    alice.setCookie(ORIGINS.shop, name, record)
    assert.deepEqual(await victimStateButNonces(d, alice), before)
    assert.equal(d.replaced.length, 1)
  })

  test('an accept URL carrying a push payload (unbound) → ERR_PAYLOAD_BINDING, and it is spent', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    await d.seedSession(alice, 'hub', { user: ALICE })
    await alice.request(`${ORIGINS.shop}/`) // alice's state cookie is set
    const attacker = await d.seedSession(d.browser(), 'hub', { user: MALLORY })
    const unbound = d.pushUrl('hub', 'shop', attacker).match(/\/push\/(.+)\.js$/)![1]!
    const before = await victimStateButNonces(d, alice)
    await assertRefused(await alice.request(`${ORIGINS.shop}/_session/accept?p=${unbound}&return=%2F`, { from: EVIL }), 'ERR_PAYLOAD_BINDING')
    assert.deepEqual(await victimStateButNonces(d, alice), before)
    assert.equal((await d.counts()).nonces, 1, 'spent')
  })

  test('an accept answer sealed by a member (not the hub) → ERR_PAYLOAD_UNKNOWN_SOURCE', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    await alice.request(`${ORIGINS.shop}/`)
    const state = alice.pendingState(ORIGINS.shop)!
    const p = d.pushUrl('forum', 'shop', await d.seedSession(d.browser(), 'forum'), { bind: bindingOf(state) }).match(/\/push\/(.+)\.js$/)![1]!
    await assertRefused(await alice.request(`${ORIGINS.shop}/_session/accept?p=${p}&return=%2F`), 'ERR_PAYLOAD_UNKNOWN_SOURCE')
    assert.equal(await d.sessionOf(alice, 'shop'), null)
  })

  test('an off-site return URL → ERR_RETURN_URL, and the payload is not burned', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    await d.seedSession(alice, 'hub', { user: ALICE })
    const { accept } = await pullUpTo(alice, 'shop')
    const before = await victimState(d, alice)
    for (const back of ['//evil.localhost', 'https://evil.localhost', `${EVIL}/`, '/\\evil.localhost', 'javascript:alert(1)', `${ORIGINS.shop}@evil.localhost/`, '/\tx', '']) {
      const url = new URL(accept)
      url.searchParams.set('return', back)
      const r = await alice.request(url.href)
      await assertRefused(r, 'ERR_RETURN_URL', JSON.stringify(back))
      assert.equal(r.headers.get('location'), null)
    }
    assert.deepEqual(await victimState(d, alice), before)
    assert.equal((await alice.request(accept)).status, 303)
  })

  test('the return URL may be another configured origin (a walk hop), and resolves relative paths on this site', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    await d.seedSession(alice, 'hub')
    const { accept } = await pullUpTo(alice, 'shop')
    const url = new URL(accept)
    url.searchParams.set('return', `${ORIGINS.forum}/t/1`)
    const r = await alice.request(url.href)
    assert.equal(r.status, 303)
    assert.equal(r.headers.get('location'), `${ORIGINS.forum}/t/1`)
  })

  test('sec-fetch-dest image (or iframe, script) → ERR_TRANSPORT', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    await d.seedSession(alice, 'hub')
    const { accept } = await pullUpTo(alice, 'shop')
    const before = await victimState(d, alice)
    await assertRefused(await alice.request(accept, { kind: 'image', from: EVIL }), 'ERR_TRANSPORT')
    await assertRefused(await alice.request(accept, { kind: 'iframe', from: EVIL }), 'ERR_TRANSPORT')
    await assertRefused(await alice.request(accept, { kind: 'script', from: EVIL }), 'ERR_TRANSPORT')
    assert.deepEqual(await victimState(d, alice), before)
    assert.equal((await alice.request(accept)).status, 303, 'not burned')
  })

  test('a "no session" answer (anonymous sharing off) records the pull; no bounce while the record lives, a bounce after', async () => {
    const d = await createDeployment({ hub: { anonymous: false }, members: { shop: { retryAfterSeconds: 60 } } })
    const alice = d.browser()
    const { response, chain } = await alice.navigate(`${ORIGINS.shop}/cart`)
    assert.equal(response.status, 200)
    assert.equal(chain.length, 4, chain.join(' → '))
    assert.equal(chain[3], `${ORIGINS.shop}/cart`)
    assert.ok(alice.triedRecord(ORIGINS.shop), 'the pull is recorded')
    assert.equal(alice.pendingState(ORIGINS.shop), undefined, 'no state is pending')
    assert.equal(await d.sessionOf(alice, 'shop'), null)
    assert.deepEqual(await d.counts(), { sessions: 0, links: 0, nonces: 1 })
    // Other top-level navigations, from anywhere, do not bounce while the marker lives.
    for (const from of [undefined, EVIL, `${ORIGINS.shop}/`]) {
      const page = await alice.request(`${ORIGINS.shop}/other`, from === undefined ? {} : { from })
      assert.equal(page.status, 200, `from ${from}`)
    }
    d.clock.advance(61)
    assert.equal((await alice.request(`${ORIGINS.shop}/other`, { from: EVIL })).status, 302, 'bounces again once the marker has expired')
    assert.deepEqual(d.replaced, [])
  })

  test('a record of an earlier pull for other credentials does not stop a new one; the new pull leaves one record', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    await d.seedSession(alice, 'hub')
    alice.setCookie(ORIGINS.shop, `${STATE_COOKIE}oldpull1`, 't.recordofanotherreason')
    // A stale session cookie is a new reason: the site tries again despite the old record.
    alice.setCookie(ORIGINS.shop, SESSION_COOKIE, 'A'.repeat(43))
    const { response, chain } = await alice.navigate(`${ORIGINS.shop}/`)
    assert.equal(response.status, 200)
    assert.equal(chain.length, 4, chain.join(' → '))
    assert.ok(await d.sessionOf(alice, 'shop'))
    const records = [...alice.stateCookies(ORIGINS.shop)]
    assert.ok(!records.some(([name]) => name === `${STATE_COOKIE}oldpull1`), 'the old record is gone')
    assert.ok(records.length >= 1 && records.every(([, v]) => v.startsWith('t.')), 'only records of this pull')
  })

  test('session.replaced fires with via pull, wasEmpty false when alwaysReplace replaces a live session', async () => {
    const d = await createDeployment({ members: { 'shop-de': { alwaysReplace: true } } })
    const alice = d.browser()
    await d.seedSession(alice, 'shop-de')
    const hubSession = await d.seedSession(alice, 'hub', { user: ALICE })
    // A sync (e.g. a login walk hop) pulls even though shop-de has a live session.
    const { response } = await alice.navigate(`${ORIGINS['shop-de']}/_session/sync?return=%2F`, { from: ORIGINS.hub })
    assert.equal(response.status, 200)
    assert.equal((await d.sessionOf(alice, 'shop-de'))?.id, hubSession)
    assert.deepEqual(d.replaced, [{ site: 'shop-de', src: 'hub', dst: 'shop-de', wasEmpty: false, via: 'pull' }])
  })

  test('a cross-site page cannot use sync to unlink a live session: a "no session" answer leaves it alone', async () => {
    // The hub has nothing for this browser (anonymous sharing off); shop holds a local session with a cart.
    const d = await createDeployment({ hub: { anonymous: false } })
    const victim = d.browser()
    const own = await d.seedSession(victim, 'shop', { data: { cart: ['teapot'] } })
    const before = await victimState(d, victim, ['shop'])
    const { response } = await victim.navigate(`${ORIGINS.shop}/_session/sync?return=%2F`, { from: EVIL })
    assert.ok(response.status < 500)
    assert.equal((await d.sessionOf(victim, 'shop'))?.id, own, 'the visitor still has their session and cart')
    // (The pull is recorded in a state cookie: it has no effect while a session lives.)
    type State = { shop: { jar: string[] } }
    const strip = (s: State) => ({ ...s.shop, jar: s.shop.jar.filter((c) => !c.startsWith(STATE_COOKIE)) })
    assert.deepEqual(strip((await victimState(d, victim, ['shop'])) as State), strip(before as State))
  })
})
