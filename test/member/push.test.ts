import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { hashCookieValue } from '../../src/sessions/ids.js'
import {
  assertRefused,
  createDeployment,
  EVIL,
  LIVE_COOKIE,
  MALLORY,
  ALICE,
  ORIGINS,
  payloadOf,
  SESSION_COOKIE,
  victimState,
  type Deployment,
} from './fixtures.js'

/** A push URL for `dst` carrying the attacker's own session, minted as an attacker can: from the loader of a page of `src` they visit. */
async function attackerPushUrl(d: Deployment, src: 'forum' | 'shop' | 'shop-de', dst: 'forum' | 'shop' | 'shop-de' | 'hub'): Promise<{ url: string; sessionId: string }> {
  const mallory = d.browser()
  const sessionId = await d.seedSession(mallory, src, { user: MALLORY })
  const url = d.loaderUrls(src, sessionId).get(dst)
  assert.ok(url, `the loader of ${src} renders a push for ${dst}`)
  return { url, sessionId }
}

describe('push: the fast path', () => {
  test('a valid push from a configured origin links the destination (script, no-store, no-referrer, SameSite=None; Secure + live)', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    const sessionId = await d.seedSession(alice, 'shop', { user: ALICE })
    const url = d.loaderUrls('shop', sessionId).get('shop-de')!
    const response = await alice.request(url, { kind: 'script', from: `${ORIGINS.shop}/cart` })
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type')!, /^text\/javascript/)
    assert.equal(response.headers.get('cache-control'), 'no-store')
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer')
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff')
    assert.match(await response.text(), /shared-session: linked/)
    const cookies = response.headers.getSetCookie()
    const session = cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`))!
    assert.ok(session, 'sets the session cookie')
    assert.match(session, /SameSite=None/i)
    assert.match(session, /;\s*Secure/i)
    assert.match(session, /HttpOnly/i)
    assert.match(session, /Path=\//)
    assert.doesNotMatch(session, /Domain=/i)
    const live = cookies.find((c) => c.startsWith(`${LIVE_COOKIE}=`))!
    assert.ok(live, 'sets the live companion')
    assert.match(live, /SameSite=None/i)
    assert.deepEqual(alice.rejected, [], 'the browser keeps every cookie')
    // The live companion holds the link's store key, not the credential.
    assert.equal(alice.cookie(ORIGINS['shop-de'], LIVE_COOKIE), hashCookieValue(alice.cookie(ORIGINS['shop-de'], SESSION_COOKIE)!))
    assert.deepEqual(await d.sessionOf(alice, 'shop-de'), { id: sessionId, via: 'push', user: ALICE })
    // And the next page view on shop-de has the session, with no bounce.
    const page = await alice.request(`${ORIGINS['shop-de']}/`, { from: `${ORIGINS.shop}/` })
    assert.equal(page.status, 200)
    assert.match(await page.text(), new RegExp(`session=${sessionId}`))
    assert.deepEqual(d.replaced, [{ site: 'shop-de', src: 'shop', dst: 'shop-de', wasEmpty: true, via: 'push' }])
    assert.deepEqual(d.logs, [])
  })

  test('the loader renders one push per other member, never for itself, the hub or a token-only site', async () => {
    const d = await createDeployment()
    const urls = d.loaderUrls('shop', await d.seedSession(d.browser(), 'shop'))
    assert.deepEqual([...urls.keys()].sort(), ['forum', 'shop-de'])
  })

  test('the hub takes no push at all, even one sealed for it: a session enters the hub only by signing in', async () => {
    const d = await createDeployment()
    const victim = d.browser()
    const attacker = await d.seedSession(d.browser(), 'forum', { user: MALLORY })
    const url = d.pushUrl('forum', 'hub', attacker)
    const before = await victimState(d, victim)
    await assertRefused(await victim.request(url, { kind: 'script', from: ORIGINS.forum }), 'ERR_NOT_FOUND')
    assert.deepEqual(await victimState(d, victim), before)
    assert.equal(await d.sessionOf(victim, 'hub'), null)
  })

  test('replayed sequentially: the second use is ERR_PAYLOAD_REPLAYED and changes nothing', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    const sessionId = await d.seedSession(alice, 'shop')
    const url = d.loaderUrls('shop', sessionId).get('shop-de')!
    assert.equal((await alice.request(url, { kind: 'script', from: ORIGINS.shop })).status, 200)
    const eve = d.browser()
    const before = await victimState(d, alice)
    await assertRefused(await eve.request(url, { kind: 'script', from: ORIGINS.shop }), 'ERR_PAYLOAD_REPLAYED')
    await assertRefused(await alice.request(url, { kind: 'script', from: ORIGINS.shop }), 'ERR_PAYLOAD_REPLAYED')
    assert.deepEqual(await victimState(d, alice), before)
    assert.equal(await d.sessionOf(eve, 'shop-de'), null)
    assert.equal(d.replaced.length, 1)
  })

  test('20 parallel replays: exactly one links', async () => {
    const d = await createDeployment()
    const sessionId = await d.seedSession(d.browser(), 'shop')
    const url = d.loaderUrls('shop', sessionId).get('shop-de')!
    const before = await d.counts()
    const browsers = Array.from({ length: 20 }, () => d.browser())
    const responses = await Promise.all(browsers.map((b) => b.request(url, { kind: 'script', from: ORIGINS.shop })))
    const statuses = responses.map((r) => r.status).sort()
    assert.deepEqual(statuses, [200, ...Array(19).fill(409)])
    for (const r of responses.filter((r) => r.status !== 200)) await assertRefused(r, 'ERR_PAYLOAD_REPLAYED')
    const linked = (await Promise.all(browsers.map((b) => d.sessionOf(b, 'shop-de')))).filter(Boolean)
    assert.equal(linked.length, 1)
    const after = await d.counts()
    assert.equal(after.links, before.links + 1)
    assert.equal(after.sessions, before.sessions)
    assert.equal(d.replaced.length, 1)
  })

  test('used on another site (payload for shop-de sent to forum) → ERR_PAYLOAD_WRONG_DESTINATION, and it still works where it belongs', async () => {
    const d = await createDeployment()
    const victim = d.browser()
    await d.seedSession(victim, 'forum', { user: ALICE })
    const { url } = await attackerPushUrl(d, 'shop', 'shop-de')
    const elsewhere = url.replace(ORIGINS['shop-de'], ORIGINS.forum)
    const before = await victimState(d, victim)
    await assertRefused(await victim.request(elsewhere, { kind: 'script', from: ORIGINS.shop }), 'ERR_PAYLOAD_WRONG_DESTINATION')
    // The hub has no push endpoint at all.
    await assertRefused(await victim.request(url.replace(ORIGINS['shop-de'], ORIGINS.hub), { kind: 'script', from: ORIGINS.shop }), 'ERR_NOT_FOUND')
    assert.deepEqual(await victimState(d, victim), before)
    assert.equal((await d.browser().request(url, { kind: 'script', from: ORIGINS.shop })).status, 200, 'the refusals did not burn the jti')
  })

  test('after the timeout → ERR_PAYLOAD_EXPIRED; inside it, accepted', async () => {
    const d = await createDeployment()
    const sessionId = await d.seedSession(d.browser(), 'shop')
    const old = d.pushUrl('shop', 'shop-de', sessionId, { now: d.clock.now - 60_000 })
    const b = d.browser()
    await assertRefused(await b.request(old, { kind: 'script', from: ORIGINS.shop }), 'ERR_PAYLOAD_EXPIRED')
    const url = d.loaderUrls('shop', sessionId).get('shop-de')!
    d.clock.advance(36 + 1) // timeout 30 + skew 5, and the second iat is floored
    await assertRefused(await b.request(url, { kind: 'script', from: ORIGINS.shop }), 'ERR_PAYLOAD_EXPIRED')
    const fresh = d.loaderUrls('shop', sessionId).get('shop-de')!
    d.clock.advance(20)
    assert.equal((await b.request(fresh, { kind: 'script', from: ORIGINS.shop })).status, 200)
    const future = d.pushUrl('shop', 'shop-de', sessionId, { now: d.clock.now + 60_000 })
    await assertRefused(await d.browser().request(future, { kind: 'script', from: ORIGINS.shop }), 'ERR_PAYLOAD_FROM_FUTURE')
  })

  test('tampered → ERR_PAYLOAD_INVALID; truncated or junk → ERR_PAYLOAD_MALFORMED; never a 5xx', async () => {
    const d = await createDeployment()
    const victim = d.browser()
    await d.seedSession(victim, 'shop-de', { user: ALICE })
    const { url } = await attackerPushUrl(d, 'shop', 'shop-de')
    const payload = payloadOf(url)
    const at = 40
    const flipped = payload.slice(0, at) + (payload[at] === 'A' ? 'B' : 'A') + payload.slice(at + 1)
    const base = `${ORIGINS['shop-de']}/_session/push/`
    const before = await victimState(d, victim)
    await assertRefused(await victim.request(`${base}${flipped}.js`, { kind: 'script', from: ORIGINS.shop }), 'ERR_PAYLOAD_INVALID')
    // Cut to whole 4-character groups: still canonical base64url, but the tag no longer verifies.
    await assertRefused(await victim.request(`${base}${payload.slice(0, payload.length - (payload.length % 4) - 8)}.js`, { kind: 'script', from: ORIGINS.shop }), 'ERR_PAYLOAD_INVALID')
    await assertRefused(await victim.request(`${base}${payload.slice(0, 20)}.js`, { kind: 'script', from: ORIGINS.shop }), 'ERR_PAYLOAD_MALFORMED')
    await assertRefused(await victim.request(`${base}${payload.slice(0, -1)}.js`, { kind: 'script', from: ORIGINS.shop }), 'ERR_PAYLOAD_MALFORMED')
    await assertRefused(await victim.request(`${base}${'A'.repeat(1025)}.js`, { kind: 'script', from: ORIGINS.shop }), 'ERR_NOT_FOUND', 'over-long file name')
    await assertRefused(await victim.request(`${base}${'A'.repeat(1024)}.js`, { kind: 'script', from: ORIGINS.shop }), 'ERR_PAYLOAD_VERSION')
    for (const file of ['..%2F..%2Fetc.js', `${payload}.js.map`, `${payload}`, '.js', `${payload}.JS`]) {
      const r = await victim.request(`${base}${file}`, { kind: 'script', from: ORIGINS.shop })
      assert.ok(r.status >= 400 && r.status < 500, `${file}: ${r.status}`)
    }
    assert.deepEqual(await victimState(d, victim), before)
    assert.equal((await d.browser().request(url, { kind: 'script', from: ORIGINS.shop })).status, 200, 'the original still works')
  })

  test('Referer from an unconfigured origin, none at all, Origin: null, or the destination itself → ERR_PAYLOAD_ORIGIN', async () => {
    const d = await createDeployment()
    const victim = d.browser()
    const { url } = await attackerPushUrl(d, 'shop', 'shop-de')
    const before = await victimState(d, victim)
    await assertRefused(await victim.request(url, { kind: 'script', from: `${EVIL}/trap` }), 'ERR_PAYLOAD_ORIGIN')
    await assertRefused(await victim.request(url, { kind: 'script' }), 'ERR_PAYLOAD_ORIGIN', 'no Referer, no Origin')
    await assertRefused(await victim.request(url, { kind: 'script', headers: { origin: 'null' } }), 'ERR_PAYLOAD_ORIGIN', 'Origin: null')
    await assertRefused(await victim.request(url, { kind: 'script', headers: { referer: 'not a url' } }), 'ERR_PAYLOAD_ORIGIN', 'junk Referer')
    await assertRefused(await victim.request(url, { kind: 'script', from: ORIGINS['shop-de'] }), 'ERR_PAYLOAD_ORIGIN', 'from the destination itself')
    // An Origin header wins over a Referer: a configured Referer does not rescue a foreign Origin.
    await assertRefused(await victim.request(url, { kind: 'script', headers: { origin: EVIL, referer: `${ORIGINS.shop}/` } }), 'ERR_PAYLOAD_ORIGIN')
    // Look-alike origins: another port, another scheme, a suffix.
    for (const from of ['https://shop.localhost:4999', 'http://shop.localhost:4002', 'https://shop.localhost.evil.localhost:4002']) {
      await assertRefused(await victim.request(url, { kind: 'script', from }), 'ERR_PAYLOAD_ORIGIN', from)
    }
    assert.deepEqual(await victimState(d, victim), before)
  })

  test('a Referer of a configured site that is not the payload\'s src → ERR_PAYLOAD_UNKNOWN_SOURCE', async () => {
    const d = await createDeployment()
    const victim = d.browser()
    await d.seedSession(victim, 'shop-de', { user: ALICE })
    const { url } = await attackerPushUrl(d, 'shop', 'shop-de')
    const before = await victimState(d, victim)
    await assertRefused(await victim.request(url, { kind: 'script', from: `${ORIGINS.forum}/t/1` }), 'ERR_PAYLOAD_UNKNOWN_SOURCE')
    await assertRefused(await victim.request(url, { kind: 'script', from: `${ORIGINS.hub}/` }), 'ERR_PAYLOAD_UNKNOWN_SOURCE')
    assert.deepEqual(await victimState(d, victim), before)
  })

  test('opened as a top-level navigation → ERR_TRANSPORT: the original login CSRF does not replace the victim\'s session', async () => {
    // shop-de has alwaysReplace on: a push that got through would replace the victim's session outright.
    const d = await createDeployment({ members: { 'shop-de': { alwaysReplace: true } } })
    const victim = d.browser()
    const victimSession = await d.seedSession(victim, 'shop-de', { user: ALICE })
    // The attacker visits forum with their own session and copies the push URL its loader renders...
    const { url } = await attackerPushUrl(d, 'forum', 'shop-de')
    const before = await victimState(d, victim)
    // ...and gets the victim to open it: a link on the attacker's page, or in a post on forum itself (a configured Referer).
    for (const from of [`${EVIL}/`, `${ORIGINS.forum}/t/42`, undefined]) {
      const { response } = await victim.navigate(url, from === undefined ? {} : { from })
      await assertRefused(response, 'ERR_TRANSPORT', `navigation from ${from}`)
    }
    // A cross-site iframe is a navigation too.
    await assertRefused(await victim.request(url, { kind: 'iframe', from: `${ORIGINS.forum}/t/42` }), 'ERR_TRANSPORT')
    assert.deepEqual(await victimState(d, victim), before)
    assert.equal((await d.sessionOf(victim, 'shop-de'))?.id, victimSession)
    assert.equal((await d.sessionOf(victim, 'shop-de'))?.user?.username, 'alice')
    assert.deepEqual(d.replaced, [])
  })

  test('loaded as an <img> or with fetch() → ERR_TRANSPORT', async () => {
    const d = await createDeployment({ members: { 'shop-de': { alwaysReplace: true } } })
    const victim = d.browser()
    await d.seedSession(victim, 'shop-de', { user: ALICE })
    const { url } = await attackerPushUrl(d, 'forum', 'shop-de')
    const before = await victimState(d, victim)
    await assertRefused(await victim.request(url, { kind: 'image', from: `${ORIGINS.forum}/t/42` }), 'ERR_TRANSPORT')
    await assertRefused(await victim.request(url, { kind: 'fetch', from: `${ORIGINS.forum}/t/42` }), 'ERR_TRANSPORT')
    for (const dest of ['style', 'worker', 'object', 'embed', 'audio']) {
      await assertRefused(await victim.request(url, { kind: 'script', from: ORIGINS.forum, headers: { 'sec-fetch-dest': dest } }), 'ERR_TRANSPORT', dest)
    }
    assert.deepEqual(await victimState(d, victim), before)
  })

  test('a refused push does not burn the jti: the same payload later succeeds from the right context', async () => {
    const d = await createDeployment()
    const sessionId = await d.seedSession(d.browser(), 'shop')
    const url = d.loaderUrls('shop', sessionId).get('shop-de')!
    const b = d.browser()
    await assertRefused((await b.navigate(url, { from: ORIGINS.shop })).response, 'ERR_TRANSPORT')
    await assertRefused(await b.request(url, { kind: 'image', from: ORIGINS.shop }), 'ERR_TRANSPORT')
    await assertRefused(await b.request(url, { kind: 'script', from: EVIL }), 'ERR_PAYLOAD_ORIGIN')
    await assertRefused(await b.request(url, { kind: 'script', from: ORIGINS.forum }), 'ERR_PAYLOAD_UNKNOWN_SOURCE')
    assert.equal((await d.counts()).nonces, 0)
    const ok = await b.request(url, { kind: 'script', from: ORIGINS.shop })
    assert.equal(ok.status, 200)
    assert.equal((await d.sessionOf(b, 'shop-de'))?.id, sessionId)
  })

  test('a bound pull answer replayed as a push → ERR_PAYLOAD_BINDING, and it is spent', async () => {
    const d = await createDeployment()
    const sessionId = await d.seedSession(d.browser(), 'hub')
    const url = d.pushUrl('hub', 'shop-de', sessionId, { bind: 'x'.repeat(42) + 'A' })
    await assertRefused(await d.browser().request(url, { kind: 'script', from: ORIGINS.hub }), 'ERR_PAYLOAD_BINDING')
    assert.equal((await d.counts()).nonces, 1)
  })

  test('alwaysReplace off: a site with a live session keeps it, even when only the live companion is sent', async () => {
    const d = await createDeployment()
    const victim = d.browser()
    const victimSession = await d.seedSession(victim, 'shop', { user: ALICE })
    const { url } = await attackerPushUrl(d, 'forum', 'shop')
    // The victim's session cookie is SameSite=Lax: a cross-site script request never carries it, only the live companion.
    const sent = victim.headersFor(url, { kind: 'script', from: ORIGINS.forum }).cookie ?? ''
    assert.doesNotMatch(sent, new RegExp(`${SESSION_COOKIE}=`))
    assert.match(sent, new RegExp(`${LIVE_COOKIE}=`))
    const before = await victimState(d, victim)
    const response = await victim.request(url, { kind: 'script', from: ORIGINS.forum })
    assert.equal(response.status, 200)
    assert.equal(await response.text(), '/* shared-session: kept */\n')
    assert.deepEqual(response.headers.getSetCookie(), [])
    assert.deepEqual({ ...(await victimState(d, victim)) as object, counts: undefined }, { ...(before as object), counts: undefined })
    assert.equal((await d.sessionOf(victim, 'shop'))?.id, victimSession)
    assert.deepEqual(d.replaced, [])
  })

  test('alwaysReplace off: a pushed signed-in session never replaces an anonymous one (only the hub may: pull, token)', async () => {
    const d = await createDeployment()
    const victim = d.browser()
    const anonymous = await d.seedSession(victim, 'shop', { data: { cart: ['teapot'] } })
    const { url } = await attackerPushUrl(d, 'forum', 'shop')
    const response = await victim.request(url, { kind: 'script', from: ORIGINS.forum })
    assert.equal(await response.text(), '/* shared-session: kept */\n')
    assert.equal((await d.sessionOf(victim, 'shop'))?.id, anonymous, "the attacker's signed-in session was not planted")
    assert.deepEqual(d.replaced, [])
  })

  test('alwaysReplace off: a push of the session the site already holds is "same" and sets nothing', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    const sessionId = await d.seedSession(alice, 'shop')
    const viaForum = d.browser()
    // Give alice the same session on forum by a first push, then push it back to shop.
    assert.equal((await alice.request(d.loaderUrls('shop', sessionId).get('forum')!, { kind: 'script', from: ORIGINS.shop })).status, 200)
    const response = await alice.request(d.loaderUrls('forum', sessionId).get('shop')!, { kind: 'script', from: ORIGINS.forum })
    assert.equal(await response.text(), '/* shared-session: same */\n')
    assert.deepEqual(response.headers.getSetCookie(), [])
    assert.equal(d.replaced.length, 1, 'only the first push linked')
    assert.equal(await d.sessionOf(viaForum, 'shop'), null)
  })

  test('alwaysReplace off: a stale live companion (session ended) is an empty site and gets filled', async () => {
    const d = await createDeployment()
    const alice = d.browser()
    const old = await d.seedSession(alice, 'shop')
    await d.store.deleteSession(old)
    const fresh = await d.seedSession(d.browser(), 'forum')
    const response = await alice.request(d.loaderUrls('forum', fresh).get('shop')!, { kind: 'script', from: ORIGINS.forum })
    assert.equal(await response.text(), '/* shared-session: linked */\n')
    assert.equal((await d.sessionOf(alice, 'shop'))?.id, fresh)
    assert.deepEqual(d.replaced, [{ site: 'shop', src: 'forum', dst: 'shop', wasEmpty: true, via: 'push' }])
  })

  test('alwaysReplace on: replaced, the old link deleted from the store, session.replaced with wasEmpty false', async () => {
    const d = await createDeployment({ members: { 'shop-de': { alwaysReplace: true } } })
    const alice = d.browser()
    const old = await d.seedSession(alice, 'shop-de')
    const oldKey = alice.cookie(ORIGINS['shop-de'], LIVE_COOKIE)!
    assert.ok(await d.store.resolveLink(oldKey, d.clock.now))
    const next = await d.seedSession(d.browser(), 'shop', { user: ALICE })
    const linksBefore = (await d.counts()).links
    const response = await alice.request(d.loaderUrls('shop', next).get('shop-de')!, { kind: 'script', from: ORIGINS.shop })
    assert.equal(await response.text(), '/* shared-session: linked */\n')
    assert.equal(await d.store.resolveLink(oldKey, d.clock.now), null, 'the old link is gone')
    assert.ok(await d.store.getSession(old, d.clock.now), 'the old global session itself lives on (other sites may hold it)')
    assert.equal((await d.sessionOf(alice, 'shop-de'))?.id, next)
    assert.equal((await d.counts()).links, linksBefore, 'one link out, one in')
    assert.deepEqual(d.replaced, [{ site: 'shop-de', src: 'shop', dst: 'shop-de', wasEmpty: false, via: 'push' }])
  })

  test('a push of a session that has ended → 4xx, nothing linked', async () => {
    const d = await createDeployment()
    const sessionId = await d.seedSession(d.browser(), 'shop')
    const url = d.loaderUrls('shop', sessionId).get('shop-de')!
    await d.store.deleteSession(sessionId)
    const b = d.browser()
    await assertRefused(await b.request(url, { kind: 'script', from: ORIGINS.shop }), 'ERR_SESSION_NOT_FOUND')
    assert.equal(await d.sessionOf(b, 'shop-de'), null)
    assert.deepEqual(d.replaced, [])
  })
})

describe('push: browsers without Sec-Fetch-* headers', () => {
  test('a navigation that sends no Sec-Fetch-Dest (Accept: text/html) is still refused → ERR_TRANSPORT', async () => {
    const d = await createDeployment({ members: { 'shop-de': { alwaysReplace: true } } })
    const victim = d.browser()
    const victimSession = await d.seedSession(victim, 'shop-de', { user: ALICE })
    const { url } = await attackerPushUrl(d, 'forum', 'shop-de')
    const before = await victimState(d, victim)
    const old = { 'sec-fetch-dest': null, 'sec-fetch-mode': null, 'sec-fetch-site': null, 'sec-fetch-user': null }
    // A link in a forum post, clicked in a browser from before Sec-Fetch-* (Safari < 16.4): Referer is forum, the payload's src.
    await assertRefused(await victim.request(url, { kind: 'navigate', from: `${ORIGINS.forum}/t/42`, headers: old }), 'ERR_TRANSPORT')
    await assertRefused(await victim.request(url, { kind: 'image', from: `${ORIGINS.forum}/t/42`, headers: old }), 'ERR_TRANSPORT')
    assert.deepEqual(await victimState(d, victim), before)
    assert.equal((await d.sessionOf(victim, 'shop-de'))?.id, victimSession)
    // The same old browser loading it as a script (Accept: */*) is a push.
    assert.equal((await d.browser().request(url, { kind: 'script', from: ORIGINS.forum, headers: old })).status, 200)
  })
})
