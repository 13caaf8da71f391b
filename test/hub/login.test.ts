import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createHub } from '../../src/hub/create-hub.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { verifyLoginToken } from '../../src/tokens/verify.js'
import type { UserDirectory } from '../../src/users/directory.js'
import { ALICE, sharedRing, startTestHub, type TestHub } from '../helpers/hub.js'
import { CookieJar, formField, loginOverHttp } from '../helpers/http.js'

const FORUM = 'http://forum.acme.localhost:4001'

describe('hub login', () => {
  let hub: TestHub
  before(async () => {
    hub = await startTestHub({ sites: [{ name: 'forum', origin: FORUM, member: false }] })
  })
  after(() => hub.close())

  test('the right password logs in: hub cookie, parent-domain token, back to the return URL', async () => {
    const jar = new CookieJar()
    const response = await loginOverHttp(hub, jar, { ...ALICE, return: `${FORUM}/t/1?x=1` })
    assert.equal(response.status, 303)
    assert.equal(response.headers.get('location'), `${FORUM}/t/1?x=1`)
    const cookies = response.headers.getSetCookie()
    const hubCookie = cookies.find((c) => c.startsWith('ss='))!
    assert.match(hubCookie, /HttpOnly/)
    assert.doesNotMatch(hubCookie, /Secure/, 'on plain http not Secure: WebKit drops Secure cookies over http')
    assert.match(hubCookie, /SameSite=Lax/)
    assert.doesNotMatch(hubCookie, /Domain=/, 'host-only')
    const tokenCookie = cookies.find((c) => c.startsWith('ss-token='))!
    assert.match(tokenCookie, /Domain=acme\.localhost/)
    assert.match(tokenCookie, /HttpOnly/)
    const claims = await verifyLoginToken(hub.ring.verification, jar.get('ss-token'), { issuer: hub.origin, audience: 'acme.localhost' })
    assert.equal(claims.username, 'alice')
    assert.equal(claims.email, ALICE.email)
    assert.equal(claims.name, ALICE.name)
    assert.ok(claims.exp - claims.iat <= 900, 'short-lived token')
  })

  test('a wrong password, an unknown user and an empty form never log in, with one generic message', async () => {
    for (const [username, password] of [['alice', 'wonderlan'], ['alice', 'WONDERLAND'], ['alice', ''], ['bob', 'wonderland'], ['', '']]) {
      const jar = new CookieJar()
      const response = await loginOverHttp(hub, jar, { username: username!, password: password! })
      assert.equal(response.status, 401, `${username}/${password}`)
      assert.equal(response.headers.get('x-error-code'), 'ERR_LOGIN_FAILED')
      assert.match(await response.text(), /Wrong username or password\./)
      assert.equal(jar.get('ss'), undefined)
      assert.equal(jar.get('ss-token'), undefined)
    }
  })

  test('a directory that answers without awaiting (a Promise, true, a string) never logs anyone in', async () => {
    // The original design's bug: `if (bcrypt.compare(pw, hash))` is always truthy.
    const sloppy = [Promise.resolve(false), true, 'alice', { username: 'alice' }, { sub: '', username: 'alice' }]
    for (const answer of sloppy) {
      const users: UserDirectory = { authenticate: async () => answer as never }
      const one = createHub({ origin: 'http://auth.acme.localhost:1', keys: await sharedRing(), store: createMemoryStore(), users })
      const form = await one.fetch(new Request('http://auth.acme.localhost:1/login'))
      const jar = new CookieJar().take(form)
      const body = new URLSearchParams({ csrf: formField(await form.text(), 'csrf'), username: 'alice', password: 'x' })
      const response = await one.fetch(
        new Request('http://auth.acme.localhost:1/login', {
          method: 'POST',
          headers: { origin: 'http://auth.acme.localhost:1', cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
          body,
        }),
      )
      assert.equal(response.status, 401, `answer ${String(answer)}`)
      assert.equal(response.headers.getSetCookie().some((c) => c.startsWith('ss=') || c.startsWith('ss=')), false)
    }
  })

  test('login CSRF: a POST from another site, without the token, or with another browser\'s token is refused', async () => {
    const attacker = new CookieJar()
    const page = await fetch(`${hub.url}/login`)
    attacker.take(page)
    const attackerToken = formField(await page.text(), 'csrf')
    const victim = new CookieJar()
    victim.take(await fetch(`${hub.url}/login`))
    const post = (jar: CookieJar, fields: Record<string, string>, headers: Record<string, string>) =>
      fetch(`${hub.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(), ...headers },
        body: new URLSearchParams({ username: 'alice', password: 'wonderland', ...fields }),
      })
    const cases: [string, Response][] = [
      ['cross-site origin', await post(victim, { csrf: attackerToken }, { origin: 'http://evil.localhost' })],
      ['origin null', await post(victim, { csrf: attackerToken }, { origin: 'null' })],
      ['member origin', await post(victim, { csrf: attackerToken }, { origin: FORUM })],
      ['no token', await post(victim, {}, { origin: hub.origin })],
      ["another browser's token", await post(victim, { csrf: attackerToken }, { origin: hub.origin })],
      ['cross-site fetch metadata, no origin', await post(attacker, { csrf: attackerToken }, { 'sec-fetch-site': 'cross-site' })],
    ]
    for (const [name, response] of cases) {
      assert.equal(response.status, 403, name)
      assert.equal((await response.json()).error, 'ERR_CSRF', name)
      assert.equal(response.headers.getSetCookie().some((c) => c.startsWith('ss=')), false, name)
    }
  })

  test('login rotates the session: the pre-login cookie dies; anonymous data carries over, a signed-in user\'s never does', async () => {
    const { createSession } = await import('../../src/sessions/create.js')
    const { linkSite } = await import('../../src/sessions/link.js')
    const { resolveCookie } = await import('../../src/sessions/resolve.js')
    const jar = new CookieJar()
    const anonymous = await createSession(hub.store, hub.hub.context.policy, { data: { cart: ['teapot'] } })
    jar.cookies.set('ss', await linkSite(hub.store, anonymous, 'hub'))
    await loginOverHttp(hub, jar, ALICE)
    const first = jar.get('ss')!
    const signedIn = (await resolveCookie(hub.store, 'hub', first))!
    assert.equal(signedIn.user?.username, 'alice')
    assert.deepEqual(signedIn.data.cart, ['teapot'], 'the anonymous cart is carried into the signed-in session')
    assert.equal(await hub.store.getSession(anonymous.id, Date.now()), null, 'fixation: the anonymous session is gone')
    // Signed in, alice fills her cart; then someone signs in again on the same browser.
    await hub.store.patchSession(signedIn.id, { set: { cart: '["alice-private"]' }, unset: [] })
    await loginOverHttp(hub, jar, ALICE)
    const second = jar.get('ss')!
    assert.notEqual(second, first)
    assert.equal(await resolveCookie(hub.store, 'hub', first), null, 'fixation: the old cookie opens nothing')
    assert.equal((await resolveCookie(hub.store, 'hub', second))?.data.cart, undefined, 'a signed-in session\'s data never passes to the next sign-in')
  })
})

describe('hub return URLs are never an open redirect', () => {
  let hub: TestHub
  before(async () => {
    hub = await startTestHub({ sites: [{ name: 'forum', origin: FORUM, member: false }] })
  })
  after(() => hub.close())

  const HOSTILE = [
    '//evil.localhost',
    '//evil.localhost/path',
    '///evil.localhost',
    '/\\evil.localhost',
    '\\\\evil.localhost',
    'http://evil.localhost',
    'https://evil.localhost/',
    'http://auth.acme.localhost@evil.localhost',
    `${FORUM}@evil.localhost`,
    'http://forum.acme.localhost:4001.evil.localhost/',
    'http://forum.acme.localhost:4002/',
    'https://forum.acme.localhost:4001/',
    'javascript:alert(1)',
    'data:text/html,hi',
    '/%0d%0aSet-Cookie:x=1'.replace('%0d%0a', '\r\n'),
    '\t//evil.localhost',
    ' //evil.localhost',
    'http:evil.localhost',
    'http:/evil.localhost',
    'evil.localhost',
  ]

  test('GET /login, GET /refresh and POST /login refuse every hostile return URL with ERR_RETURN_URL', async () => {
    for (const value of HOSTILE) {
      for (const path of ['/login', '/refresh']) {
        const response = await fetch(`${hub.url}${path}?return=${encodeURIComponent(value)}`, { redirect: 'manual' })
        assert.equal(response.status, 400, `${path} ${JSON.stringify(value)}`)
        assert.equal((await response.json()).error, 'ERR_RETURN_URL')
      }
      const response = await loginOverHttp(hub, new CookieJar(), { ...ALICE, return: value })
      assert.equal(response.status, 400, `POST /login ${JSON.stringify(value)}`)
      assert.equal(response.headers.get('location'), null)
    }
  })

  test('double-encoded variants stay paths on the hub, never another host', async () => {
    for (const value of ['/%2F%2Fevil.localhost', '/%5Cevil.localhost', '/%252F%252Fevil.localhost']) {
      const response = await loginOverHttp(hub, new CookieJar(), { ...ALICE, return: value })
      assert.equal(response.status, 303)
      assert.equal(new URL(response.headers.get('location')!).origin, hub.origin, value)
    }
  })

  test('paths on the hub and URLs on configured sites are accepted', async () => {
    for (const [value, expected] of [['/', `${hub.origin}/`], [`${FORUM}/t/1`, `${FORUM}/t/1`], [`${hub.origin}/x?y=1#z`, `${hub.origin}/x?y=1#z`]]) {
      const response = await loginOverHttp(hub, new CookieJar(), { ...ALICE, return: value! })
      assert.equal(response.headers.get('location'), expected)
    }
  })
})

describe('hub start-up checks', () => {
  test('a parent domain that is a public suffix is refused when the hub is created, with what to use instead', async () => {
    for (const [host, parentDomain] of [['auth.acme.com', 'com'], ['auth.acme.co.uk', 'co.uk'], ['acme.github.io', 'github.io'], ['auth.localhost', 'localhost']]) {
      assert.throws(
        () => createHub({ origin: `https://${host}`, parentDomain, keys: {} as never, store: createMemoryStore(), users: { authenticate: async () => null } }),
        (err: Error & { code?: string }) => err.code === 'ERR_CONFIG_INVALID' && /public suffix/.test(err.message),
        parentDomain,
      )
    }
  })
})

describe('hub login rate limit', () => {
  test('kicks in per account and per address, answers 429 even to the right password, and lifts after the window', async () => {
    const clock = { now: Date.now() }
    const hub = await startTestHub({
      now: () => clock.now,
      rateLimit: { perAccount: { max: 3, windowMs: 60_000 }, perAddress: { max: 5, windowMs: 60_000 } },
    })
    try {
      for (let i = 0; i < 3; i++) assert.equal((await loginOverHttp(hub, new CookieJar(), { username: 'alice', password: `wrong-${i}` })).status, 401)
      const limited = await loginOverHttp(hub, new CookieJar(), ALICE)
      assert.equal(limited.status, 429)
      assert.equal(limited.headers.get('x-error-code'), 'ERR_RATE_LIMITED')
      assert.ok(Number(limited.headers.get('retry-after')) > 0)
      assert.match(await limited.text(), /Too many attempts/)
      // Per address: other accounts from the same address are limited after 5 failures in all.
      assert.equal((await loginOverHttp(hub, new CookieJar(), { username: 'bob', password: 'x-wrong-1' })).status, 401)
      assert.equal((await loginOverHttp(hub, new CookieJar(), { username: 'carol', password: 'x-wrong-2' })).status, 401)
      assert.equal((await loginOverHttp(hub, new CookieJar(), { username: 'dave', password: 'x-wrong-3' })).status, 429)
      clock.now += 60_001
      const lifted = await loginOverHttp(hub, new CookieJar(), ALICE)
      assert.equal(lifted.status, 303, 'the limit lifts after its window')
    } finally {
      await hub.close()
    }
  })
})
