import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { decodeJwt } from 'jose'
import { sidDigest } from '../../src/confirm/cookies.js'
import { hashCookieValue } from '../../src/sessions/ids.js'
import { signLoginToken } from '../../src/tokens/sign.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { CookieJar, loginOverHttp } from '../helpers/http.js'

const FORUM = 'http://forum.acme.localhost:4001'

describe('hub logout, refresh and JWKS', () => {
  let hub: TestHub
  before(async () => {
    hub = await startTestHub({ sites: [{ name: 'forum', origin: FORUM, member: false }] })
  })
  after(() => hub.close())

  const postLogout = (jar: CookieJar, path: string, headers: Record<string, string>, fields: Record<string, string> = {}) =>
    fetch(`${hub.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(), ...headers },
      body: new URLSearchParams(fields),
    })

  const liveSession = async (jar: CookieJar) => hub.store.resolveLink(hashCookieValue(jar.get('ss') ?? 'x'), Date.now())

  test('logout posted by a member page destroys the global session and clears both cookies', async () => {
    const jar = new CookieJar()
    await loginOverHttp(hub, jar, ALICE)
    const found = await liveSession(jar)
    assert.ok(found)
    const response = await postLogout(jar, '/logout', { origin: FORUM }, { return: `${FORUM}/` })
    assert.equal(response.status, 303)
    assert.equal(response.headers.get('location'), `${FORUM}/`)
    const cleared = response.headers.getSetCookie()
    assert.ok(cleared.some((c) => /^ss=;.*Max-Age=0/.test(c)))
    assert.ok(cleared.some((c) => /^ss-token=;.*Max-Age=0.*Domain=acme\.localhost/.test(c)))
    assert.equal(await hub.store.getSession(found.session.id, Date.now()), null, 'every site sees it gone')
  })

  test('logout from an unconfigured origin is refused and changes nothing', async () => {
    const jar = new CookieJar()
    await loginOverHttp(hub, jar, ALICE)
    const response = await postLogout(jar, '/logout', { origin: 'http://evil.localhost' })
    assert.equal(response.status, 403)
    assert.equal((await response.json()).error, 'ERR_CSRF')
    assert.ok(await liveSession(jar), 'session unchanged')
  })

  test('log out everywhere ends every session of the user, and only that user', async () => {
    const laptop = new CookieJar()
    const phone = new CookieJar()
    await loginOverHttp(hub, laptop, ALICE)
    await loginOverHttp(hub, phone, ALICE)
    await hub.users.add({ username: 'bob', password: 'builder-bob' })
    const bob = new CookieJar()
    await loginOverHttp(hub, bob, { username: 'bob', password: 'builder-bob' })
    const response = await postLogout(laptop, '/logout/everywhere', { origin: hub.origin })
    assert.equal(response.status, 303)
    assert.equal(await liveSession(phone), null, 'the other device is logged out too')
    assert.ok(await liveSession(bob), 'another user is untouched')
  })

  test('refresh re-issues the token while the hub session lives, else sends to login with the return URL', async () => {
    const jar = new CookieJar()
    await loginOverHttp(hub, jar, ALICE)
    const oldToken = jar.get('ss-token')
    const ok = await fetch(`${hub.url}/refresh?return=${encodeURIComponent(`${FORUM}/t/9`)}`, { redirect: 'manual', headers: { cookie: jar.header() } })
    assert.equal(ok.status, 302)
    assert.equal(ok.headers.get('location'), `${FORUM}/t/9`)
    jar.take(ok)
    assert.notEqual(jar.get('ss-token'), oldToken)

    const anonymous = await fetch(`${hub.url}/refresh?return=${encodeURIComponent(`${FORUM}/t/9`)}`, { redirect: 'manual' })
    assert.equal(anonymous.status, 302)
    assert.equal(anonymous.headers.get('location'), `/login?return=${encodeURIComponent(`${FORUM}/t/9`)}`)

    const optional = await fetch(`${hub.url}/refresh?optional=1&return=${encodeURIComponent(`${FORUM}/t/9`)}`, { redirect: 'manual' })
    assert.equal(optional.headers.get('location'), `${FORUM}/t/9`, 'a guest-friendly member gets its visitor back')
    assert.ok(optional.headers.getSetCookie().some((c) => /^ss-token=;/.test(c)))
  })

  test('the JWKS holds public keys only', async () => {
    const response = await fetch(`${hub.url}/.well-known/jwks.json`)
    assert.equal(response.status, 200)
    const { keys } = await response.json()
    assert.ok(keys.length >= 1)
    for (const key of keys) {
      assert.equal(key.d, undefined)
      assert.equal(key.k, undefined)
      assert.ok(key.kid && key.alg && key.use === 'sig')
    }
  })

  test('unknown paths and methods are clear 4xx, never 5xx', async () => {
    for (const [method, path, status] of [['GET', '/nope', 404], ['DELETE', '/login', 405], ['GET', '/logout', 405], ['PUT', '/', 405], ['GET', '/__proto__', 404]] as const) {
      const response = await fetch(`${hub.url}${path}`, { method, redirect: 'manual' })
      assert.equal(response.status, status, `${method} ${path}`)
    }
    // Node's HTTP parser refuses unknown methods itself; the handler must too.
    for (const method of ['CONSTRUCTOR', 'constructor', 'toString', '__proto__']) {
      const response = await hub.hub.fetch(new Request(`${hub.origin}/`, { method }))
      assert.equal(response.status, 405, method)
    }
    // An oversized form (70 KB, over the 64 KB limit) is a 413 with its code, not a reset connection.
    const huge = await fetch(`${hub.url}/login`, { method: 'POST', headers: { origin: hub.origin, 'content-type': 'application/x-www-form-urlencoded' }, body: `username=${'a'.repeat(70_000)}` })
    assert.equal(huge.status, 413)
    assert.equal(((await huge.json()) as { error: string }).error, 'ERR_BODY_TOO_LARGE')
  })
})

describe('hub forward-auth', () => {
  let hub: TestHub
  before(async () => {
    hub = await startTestHub({ sites: [{ name: 'wiki', origin: 'http://wiki.acme.localhost:4005', member: false }] })
  })
  after(() => hub.close())

  const check = (headers: Record<string, string>, query = '') => fetch(`${hub.url}/forward-auth${query}`, { redirect: 'manual', headers })
  /** The app host's binding cookie of a browser whose token the hub has confirmed (see test/forward-auth/confirm.test.ts). */
  const bound = (token: string) => `ss-bound=${sidDigest(decodeJwt(token).sid as string)}.-`

  test('200 with the user in headers for a live token (cookie or bearer), 401 with a code otherwise', async () => {
    const jar = new CookieJar()
    await loginOverHttp(hub, jar, ALICE)
    const token = jar.get('ss-token')!
    for (const headers of [{ cookie: `ss-token=${token}; ${bound(token)}` }, { authorization: `Bearer ${token}` }] as Record<string, string>[]) {
      const ok = await check(headers)
      assert.equal(ok.status, 200)
      assert.equal(ok.headers.get('x-auth-user'), 'alice')
      assert.equal(ok.headers.get('x-auth-email'), ALICE.email)
      assert.equal(ok.headers.get('x-auth-name'), ALICE.name)
    }
    const none = await check({})
    assert.equal(none.status, 401)
    assert.equal((await none.json()).error, 'ERR_NOT_AUTHENTICATED')
    for (const garbage of ['x', 'a.b.c', token.slice(0, -2), `${token}x`, '\u0000', 'e30.e30.']) {
      const bad = await check({ cookie: `ss-token=${encodeURIComponent(garbage)}` })
      assert.equal(bad.status, 401, garbage)
    }
  })

  test('a token replayed after logout is refused before its exp (revocation)', async () => {
    const jar = new CookieJar()
    await loginOverHttp(hub, jar, ALICE)
    const token = jar.get('ss-token')!
    assert.equal((await check({ authorization: `Bearer ${token}` })).status, 200)
    await fetch(`${hub.url}/logout`, { method: 'POST', headers: { origin: hub.origin, cookie: jar.header() }, redirect: 'manual' })
    const replay = await check({ authorization: `Bearer ${token}` })
    assert.equal(replay.status, 401)
    assert.equal((await replay.json()).error, 'ERR_TOKEN_REVOKED')
  })

  test('tokens from another issuer or for another audience are refused', async () => {
    const jar = new CookieJar()
    await loginOverHttp(hub, jar, ALICE)
    const session = (await hub.store.resolveLink(hashCookieValue(jar.get('ss')!), Date.now()))!.session
    const user = session.user!
    for (const [issuer, audience, code] of [['http://evil.localhost', 'acme.localhost', 'ERR_TOKEN_ISSUER'], [hub.origin, 'other.localhost', 'ERR_TOKEN_AUDIENCE']] as const) {
      const token = await signLoginToken(hub.ring, { issuer, audience, user, sid: session.id })
      const response = await check({ authorization: `Bearer ${token}` })
      assert.equal(response.status, 401)
      assert.equal((await response.json()).error, code)
    }
  })

  test('non-ASCII names travel percent-encoded', async () => {
    await hub.users.add({ username: 'zoe', password: 'zoe-password', name: 'Zoë 张' })
    const jar = new CookieJar()
    await loginOverHttp(hub, jar, { username: 'zoe', password: 'zoe-password' })
    const ok = await check({ cookie: `${jar.header()}; ${bound(jar.get('ss-token')!)}` })
    assert.equal(ok.status, 200)
    assert.equal(decodeURIComponent(ok.headers.get('x-auth-name')!), 'Zoë 张')
  })

  test('?redirect=1 (Traefik, Caddy) sends to refresh with the original URL only when it is on a configured site', async () => {
    const forwarded = (host: string) => ({ 'x-forwarded-proto': 'http', 'x-forwarded-host': host, 'x-forwarded-uri': '/page?q=1' })
    const ok = await check(forwarded('wiki.acme.localhost:4005'), '?redirect=1')
    assert.equal(ok.status, 302)
    assert.equal(ok.headers.get('location'), `${hub.origin}/refresh?return=${encodeURIComponent('http://wiki.acme.localhost:4005/page?q=1')}`)
    const evil = await check(forwarded('evil.localhost'), '?redirect=1')
    assert.equal(evil.headers.get('location'), `${hub.origin}/refresh`)
  })
})
