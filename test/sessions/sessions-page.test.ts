import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { describeUserAgent } from '../../src/lib/user-agent.js'
import { resolveMerge } from '../../src/member/merge.js'
import { linkSite } from '../../src/sessions/link.js'
import { patchSession } from '../../src/sessions/patch.js'
import { resolveCookie } from '../../src/sessions/resolve.js'
import { rotateSession } from '../../src/sessions/rotate.js'
import { sessionPolicy } from '../../src/sessions/policy.js'
import { referenceOf } from '../../src/sessions/map.js'
import type { GlobalSession } from '../../src/sessions/session.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { CookieJar, formField, loginOverHttp } from '../helpers/http.js'

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
const CHROME_ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36'
const SAFARI_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'
const FORUM = 'http://forum.acme.localhost:4101'
const SHOP = 'http://shop.acme.localhost:4102'

describe('describeUserAgent: browser and platform in words', () => {
  test('the browsers people use, and what is not a browser', () => {
    const cases: Array<[string | null, string]> = [
      [FIREFOX_LINUX, 'Firefox on Linux'],
      [CHROME_ANDROID, 'Chrome on Android'],
      [SAFARI_MAC, 'Safari on macOS'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87', 'Edge on Windows'],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'Safari on iOS'],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1', 'Chrome on iOS'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0', 'Opera on Windows'],
      ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36', 'Chrome on Linux'],
      ['curl/8.5.0', 'curl'],
      ['<script>alert(1)</script>', 'Unknown device'],
      ['', 'Unknown device'],
      [null, 'Unknown device'],
    ]
    for (const [ua, label] of cases) assert.equal(describeUserAgent(ua).label, label, String(ua))
  })
})

describe('reserved session data: the session map is never an app\'s to read, write or copy', () => {
  test('apps cannot write reserved keys, do not see them, and no rotation or merge carries them', async () => {
    const store = createMemoryStore()
    const policy = sessionPolicy()
    const alice = { sub: 'u_alice', username: 'alice' }
    const anonymous = await rotateSession(store, policy, null, { user: null })
    await patchSession(store, anonymous.id, { cart: ['teapot'] })
    await assert.rejects(patchSession(store, anonymous.id, { '@ss/device': { userAgent: 'forged', address: '1.2.3.4' } }), { code: 'ERR_SESSION_DATA_INVALID' })
    await assert.rejects(patchSession(store, anonymous.id, { '@ss/link/x': undefined }), { code: 'ERR_SESSION_DATA_INVALID' })
    // Put one there as only shared-session could, then sign in: the cart carries, the note does not.
    await store.patchSession(anonymous.id, { set: { '@ss/device': '{"userAgent":"x","address":"y"}' }, unset: [] })
    const signedIn = await rotateSession(store, policy, anonymous.id, { user: alice })
    assert.deepEqual(Object.keys((await store.getSession(signedIn.id, Date.now()))!.data), ['cart'])
    const value = await linkSite(store, signedIn, 'shop', Date.now(), 'pull')
    assert.ok(Object.keys((await store.getSession(signedIn.id, Date.now()))!.data).some((k) => k.startsWith('@ss/link/')), 'the link is noted')
    assert.deepEqual({ ...(await resolveCookie(store, 'shop', value))!.data }, { cart: ['teapot'] }, 'the app sees its own data only')
    const merge = resolveMerge(() => ({ '@ss/device': 'forged', lang: 'de' }))
    assert.deepEqual(merge({}, {}), { lang: 'de' }, 'a merge cannot write the session map')
    await store.close()
  })
})

describe('GET /sessions: "Your sessions" at the hub', () => {
  let th: TestHub
  const laptop = new CookieJar()
  const phone = new CookieJar()
  const bobJar = new CookieJar()
  let laptopSession: GlobalSession
  let phoneSession: GlobalSession
  let bobSession: GlobalSession
  let phoneForum: string
  let phoneShop: string
  const ended: string[] = []

  const hubCookie = (jar: CookieJar) => jar.get('__Host-ss') ?? jar.get('ss')
  const sessionOf = (jar: CookieJar) => resolveCookie(th.store, 'hub', hubCookie(jar))
  const page = async (jar: CookieJar, ua = FIREFOX_LINUX) => {
    const response = await fetch(`${th.url}/sessions`, { redirect: 'manual', headers: { cookie: jar.header(), 'user-agent': ua } })
    jar.take(response)
    return { response, text: response.status === 200 ? await response.text() : '' }
  }
  const post = (jar: CookieJar, path: string, fields: Record<string, string>, headers: Record<string, string> = { origin: '' }) =>
    fetch(`${th.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(), ...headers, ...(headers.origin === '' ? { origin: th.origin } : {}) },
      body: new URLSearchParams(fields),
    })
  const devicesOn = (html: string) => [...html.matchAll(/data-device="([^"]*)"/g)].map((m) => m[1])

  before(async () => {
    th = await startTestHub({ sites: [{ name: 'forum', origin: FORUM }, { name: 'shop', origin: SHOP }] })
    await th.users.add({ username: 'bob', password: 'builder-bob' })
    th.hub.events.on('logout', (e) => void ended.push(e.sessionId))
    // Three sign-ins (each a deliberately slow password hash), shared by every test below.
    await Promise.all([
      loginOverHttp(th, laptop, ALICE, { 'user-agent': FIREFOX_LINUX }),
      loginOverHttp(th, phone, ALICE, { 'user-agent': CHROME_ANDROID }),
      loginOverHttp(th, bobJar, { username: 'bob', password: 'builder-bob' }, { 'user-agent': SAFARI_MAC }),
    ])
    laptopSession = (await sessionOf(laptop))!
    phoneSession = (await sessionOf(phone))!
    bobSession = (await sessionOf(bobJar))!
    assert.ok(laptopSession && phoneSession && bobSession)
  })
  after(() => th.close())

  test('without a signed-in session it sends the visitor to sign in, coming back here', async () => {
    const { response } = await page(new CookieJar())
    assert.equal(response.status, 303)
    assert.equal(response.headers.get('location'), `/login?${new URLSearchParams({ return: `${th.origin}/sessions` })}`)
  })

  test('lists both of alice\'s devices with their browsers, marks this one, and shows which sites hold each and how', async () => {
    phoneForum = await linkSite(th.store, phoneSession, 'forum', Date.now(), 'pull')
    phoneShop = await linkSite(th.store, phoneSession, 'shop', Date.now(), 'push')
    const { response, text } = await page(laptop)
    assert.equal(response.status, 200)
    assert.deepEqual(devicesOn(text).sort(), ['Chrome on Android', 'Firefox on Linux'])
    assert.match(text, /data-device="Firefox on Linux" data-current="true"/)
    assert.doesNotMatch(text, /Safari on macOS/, 'bob\'s device is not alice\'s')
    const phoneBlock = text.slice(text.indexOf('data-device="Chrome on Android"'))
    assert.match(phoneBlock, /data-site="hub" data-via="login"/)
    assert.match(phoneBlock, /data-site="forum" data-via="pull"/)
    assert.match(phoneBlock, /data-site="shop" data-via="push"/)
    assert.match(text, /127\.0\.0\.1/, 'the address')
    for (const secret of [laptopSession.id, phoneSession.id, hubCookie(laptop)!, hubCookie(phone)!]) assert.ok(!text.includes(secret), 'no session id or cookie value in the page')
    const home = await fetch(`${th.url}/`, { headers: { cookie: laptop.header() } })
    assert.match(await home.text(), /href="\/sessions"/, 'the home page links here')
  })

  test('a POST without the hub\'s CSRF token, or from another origin, is refused and changes nothing', async () => {
    const { text } = await page(laptop)
    const csrf = formField(text, 'csrf')
    const ref = referenceOf('session', phoneSession.id)
    const noToken = await post(laptop, '/sessions/end', { session: ref })
    const crossSite = await post(laptop, '/sessions/end', { csrf, session: ref }, { origin: 'http://evil.localhost', 'sec-fetch-site': 'cross-site' })
    const endSiteNoToken = await post(laptop, '/sessions/end-site', { session: ref, site: 'x' })
    for (const r of [noToken, crossSite, endSiteNoToken]) {
      assert.equal(r.status, 403)
      assert.equal(((await r.json()) as { error: string }).error, 'ERR_CSRF')
    }
    assert.ok(await sessionOf(phone), 'the phone is still signed in')
  })

  test('alice cannot end bob\'s session, nor sign a site of his out, even knowing its reference', async () => {
    const { text } = await page(laptop)
    const csrf = formField(text, 'csrf')
    const bobRef = referenceOf('session', bobSession.id)
    const endBob = await post(laptop, '/sessions/end', { csrf, session: bobRef })
    assert.equal(endBob.status, 404)
    const bobLink = Object.keys((await th.store.getSession(bobSession.id, Date.now()))!.data).find((k) => k.startsWith('@ss/link/'))!
    const bobHubRef = referenceOf('link', bobLink.slice('@ss/link/'.length))
    const endBobSite = await post(laptop, '/sessions/end-site', { csrf, session: bobRef, site: bobHubRef })
    assert.equal(endBobSite.status, 404)
    const guess = await post(laptop, '/sessions/end', { csrf, session: bobSession.id })
    assert.equal(guess.status, 404, 'the raw id is no reference either')
    const ownRef = await post(laptop, '/sessions/end-site', { csrf, session: referenceOf('session', laptopSession.id), site: bobHubRef })
    assert.equal(ownRef.status, 404, 'nor through a session of her own')
    assert.equal((await sessionOf(bobJar))?.id, bobSession.id, 'bob is still signed in, on the hub too')
    assert.ok(!ended.includes(bobSession.id))
  })

  test('"sign out of forum" on the phone: the forum\'s link goes, the phone\'s session and other sites live on', async () => {
    const { text } = await page(laptop)
    const csrf = formField(text, 'csrf')
    const phoneBlock = text.slice(text.indexOf('data-device="Chrome on Android"'))
    const siteRef = phoneBlock.slice(phoneBlock.indexOf('data-site="forum"')).match(/name="site" value="([^"]*)"/)![1]!
    const response = await post(laptop, '/sessions/end-site', { csrf, session: referenceOf('session', phoneSession.id), site: siteRef })
    assert.equal(response.status, 303)
    assert.equal(response.headers.get('location'), '/sessions')
    assert.equal(await resolveCookie(th.store, 'forum', phoneForum), null, 'the forum no longer finds the session')
    assert.equal((await resolveCookie(th.store, 'shop', phoneShop))?.id, phoneSession.id, 'the shop still does')
    assert.equal((await sessionOf(phone))?.id, phoneSession.id, 'the phone is still signed in at the hub')
    const after = (await page(laptop)).text
    const listed = after.slice(after.indexOf('data-device="Chrome on Android"'))
    assert.doesNotMatch(listed, /data-site="forum"/)
    assert.match(listed, /data-site="shop" data-via="push"/)
    const again = await post(laptop, '/sessions/end-site', { csrf, session: referenceOf('session', phoneSession.id), site: siteRef })
    assert.equal(again.status, 404, 'a site signed out already is not found')
  })

  test('"sign out" the phone from the laptop: the phone\'s session is gone, with the logout event; the laptop lives', async () => {
    const { text } = await page(laptop)
    const csrf = formField(text, 'csrf')
    const response = await post(laptop, '/sessions/end', { csrf, session: referenceOf('session', phoneSession.id) })
    assert.equal(response.status, 303)
    assert.equal(response.headers.get('location'), '/sessions')
    assert.equal(await sessionOf(phone), null, 'the phone is signed out')
    assert.equal(await th.store.getSession(phoneSession.id, Date.now()), null)
    assert.equal((await sessionOf(laptop))?.id, laptopSession.id, 'the laptop is still signed in')
    assert.ok(ended.includes(phoneSession.id), 'the same logout event as a sign-out at the hub (sites are notified)')
    assert.deepEqual(devicesOn((await page(laptop)).text), ['Firefox on Linux'])
  })
})
