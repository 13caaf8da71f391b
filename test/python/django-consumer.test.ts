import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt, SignJWT } from 'jose'
import { signLoginToken } from '../../src/tokens/sign.js'
import { tokenCookieName } from '../../src/tokens/cookie-name.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { CookieJar, loginOverHttp, logoutOverHttp } from '../helpers/http.js'
import { startDjangoApp } from './django-app.js'
import { assertPythonReady, confirmed, freePort, GENEROUS_RATE_LIMIT, type FlaskApp } from './flask-app.js'
import { postLogoutToken, signLogoutToken } from './logout-token.js'

// examples/django (the package's Django middleware and views) as a real
// `manage.py runserver` process against a real hub: Django's own
// @login_required sends visitors to the hub, request.user is the local user
// for the hub's (iss, sub), and the hub's logouts reach it.

const TOKEN_COOKIE = tokenCookieName(false)
const AUDIENCE = 'acme.localhost'
const CLIENT_ID = 'blog'
const HTML = 'text/html,application/xhtml+xml'

describe('Django example (examples/django) against a real hub', () => {
  let hub: TestHub
  let blog: FlaskApp
  let dir: string
  /** One sign-in for the tests that end no session (a sign-in costs a deliberately slow password hash). */
  let alice: string
  const blogOrigin = (): string => `http://blog.acme.localhost:${blog.port}`

  before(async () => {
    assertPythonReady()
    dir = mkdtempSync(join(tmpdir(), 'ss-django-'))
    const port = await freePort()
    hub = await startTestHub({ sites: [{ name: 'blog', origin: `http://blog.acme.localhost:${port}`, member: false }], ...GENEROUS_RATE_LIMIT })
    blog = await startDjangoApp(port, {
      HUB_ORIGIN: hub.origin,
      JWKS_URL: `${hub.url}/.well-known/jwks.json`,
      FORWARD_AUTH_URL: `${hub.url}/forward-auth`,
      AUDIENCE,
      CLIENT_ID,
      REVOCATION_CACHE_SECONDS: '0',
      APP_ORIGIN: `http://blog.acme.localhost:${port}`,
      DATABASE: join(dir, 'blog.sqlite'),
    })
    alice = (await signIn()).token
  })

  after(async () => {
    await blog?.stop()
    await hub?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function signIn(): Promise<{ jar: CookieJar; token: string }> {
    const jar = new CookieJar()
    assert.equal((await loginOverHttp(hub, jar, { username: ALICE.username, password: ALICE.password })).status, 303)
    const token = jar.get(TOKEN_COOKIE)
    assert.ok(token)
    return { jar, token }
  }

  /** A GET from a browser in which the hub has confirmed the token `cookie` carries (flask-confirm.test.ts: the round trip itself). */
  function get(path: string, cookie = '', accept = 'application/json'): Promise<Response> {
    return fetch(`${blog.url}${path}`, { redirect: 'manual', headers: { accept, ...(cookie ? { cookie: confirmed(cookie) } : {}) } })
  }

  async function me(token: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await get('/api/me', `${TOKEN_COOKIE}=${token}`)
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  test('signed in at the hub, alice is found-or-created by (iss, sub) and is request.user on every page', async () => {
    const token = alice
    const first = await me(token)
    assert.equal(first.status, 200, JSON.stringify(first.body))
    assert.deepEqual({ ...first.body, local_id: typeof first.body.local_id }, {
      local_id: 'number', username: 'alice', email: ALICE.email, iss: hub.origin, sub: decodeJwt(token).sub, sid: decodeJwt(token).sid,
    })
    const again = await me((await signIn()).token)
    assert.equal(again.body.local_id, first.body.local_id, 'another sign-in of the same (iss, sub) is the same user')

    const page = await get('/', `${TOKEN_COOKIE}=${token}`, HTML)
    assert.equal(page.status, 200)
    assert.match(page.headers.get('cache-control')!, /no-store/)
    assert.match(await page.text(), new RegExp(`Hello, ${ALICE.name}[\\s\\S]*data-local-id="${first.body.local_id}"`))
    assert.equal(await (await get('/public', `${TOKEN_COOKIE}=${token}`, HTML)).text(), 'Hello, alice')
    assert.equal(await (await get('/public', '', HTML)).text(), 'Hello, guest', 'a page for everybody lets guests in')
  })

  test('another sub with the same username and e-mail is another local user (never matched by e-mail or name)', async () => {
    const aliceMe = await me(alice)
    const impostor = await signLoginToken(hub.ring, {
      issuer: hub.origin, audience: AUDIENCE, sid: 'sid-of-nobody',
      user: { sub: 'u_mallory', username: 'alice', email: ALICE.email },
    })
    // This app asks the hub about every token: the forged session is unknown there.
    assert.deepEqual(await me(impostor), { status: 401, body: { error: 'ERR_TOKEN_REVOKED' } })
    const hubUser = await hub.users.add({ username: 'alice2', password: 'looking-glass', email: ALICE.email })
    const jar = new CookieJar()
    await loginOverHttp(hub, jar, { username: 'alice2', password: 'looking-glass' })
    const second = await me(jar.get(TOKEN_COOKIE)!)
    assert.equal(second.status, 200)
    assert.notEqual(second.body.local_id, aliceMe.body.local_id)
    assert.equal(second.body.sub, hubUser.sub)
    assert.equal(second.body.email, ALICE.email)
  })

  test("@login_required sends a visitor to the hub's sign-in with the full return URL, once (no loop)", async () => {
    const page = await get('/?draft=1&tag=a%20b', '', HTML)
    assert.equal(page.status, 302)
    const signIn = new URL(page.headers.get('location')!, blogOrigin())
    assert.equal(signIn.pathname, '/auth/sign-in')
    assert.equal(signIn.searchParams.get('next'), '/?draft=1&tag=a%20b')
    const hop = await get(`${signIn.pathname}${signIn.search}`, '', HTML)
    assert.equal(hop.status, 302)
    assert.equal(hop.headers.get('location'), `${hub.origin}/refresh?return=${encodeURIComponent(`${blogOrigin()}/?draft=1&tag=a%20b`)}`)
    const marker = hop.headers.getSetCookie().find((c) => c.startsWith('ss-consumer-bounce='))
    assert.ok(marker && /HttpOnly/i.test(marker) && /SameSite=Lax/i.test(marker), marker)

    const wrongAudience = await signLoginToken(hub.ring, { issuer: hub.origin, audience: 'other.localhost', sid: 's', user: { sub: 'u', username: 'alice' } })
    const back = await get(`${signIn.pathname}${signIn.search}`, `${TOKEN_COOKIE}=${wrongAudience}; ${marker.split(';')[0]}`, HTML)
    assert.equal(back.status, 401)
    assert.match(await back.text(), /Cannot sign you in[\s\S]*ERR_TOKEN_AUDIENCE/)
    const offsite = await get('/auth/sign-in?next=//evil.example/', '', HTML)
    assert.equal(offsite.headers.get('location'), `${hub.origin}/refresh?return=${encodeURIComponent(`${blogOrigin()}/`)}`, 'never an open redirect')
  })

  test('wrong alg, typ or audience, and two token cookies, are no credential', async () => {
    const token = alice
    const claims = decodeJwt(token)
    const { alg, kid, key } = hub.ring.signer
    const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
    const cases: Array<[string, string]> = [
      [`${TOKEN_COOKIE}=${encode({ alg: 'none', typ: 'shared-session+jwt', kid })}.${encode(claims)}.`, 'ERR_TOKEN_ALGORITHM'],
      [`${TOKEN_COOKIE}=${await new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key)}`, 'ERR_TOKEN_TYPE'],
      [`${TOKEN_COOKIE}=${await new SignJWT({ ...claims, aud: 'forum' }).setProtectedHeader({ alg, kid, typ: 'shared-session+jwt' }).sign(key)}`, 'ERR_TOKEN_AUDIENCE'],
      [`${TOKEN_COOKIE}=${token}; ${TOKEN_COOKIE}=${token}`, 'ERR_COOKIE_DUPLICATE'],
    ]
    for (const [cookie, code] of cases) {
      const response = await get('/api/me', cookie)
      assert.equal(response.status, 401, code)
      assert.deepEqual(await response.json(), { error: code })
      assert.equal(await (await get('/public', cookie, HTML)).text(), 'Hello, guest', `${code}: a guest, not alice`)
    }
  })

  test('revocation is on by default: a token replayed after sign-out at the hub is refused', async () => {
    const { jar, token } = await signIn()
    assert.equal((await me(token)).status, 200)
    assert.equal((await logoutOverHttp(hub, jar)).status, 303)
    assert.deepEqual(await me(token), { status: 401, body: { error: 'ERR_TOKEN_REVOKED' } })
  })

  test('back-channel logout: the session ends within a second; replayed and invalid logout tokens get 400', async () => {
    const { token } = await signIn()
    const other = (await signIn()).token
    const { sid, sub } = decodeJwt(token) as { sid: string; sub: string }
    const url = `${blog.url}/auth/backchannel-logout`
    const logoutToken = await signLogoutToken(hub.ring, { issuer: hub.origin, audience: CLIENT_ID, sid, sub })
    for (const [bad, code] of [
      [await signLogoutToken(hub.ring, { issuer: hub.origin, audience: 'wiki', sid, sub }), 'ERR_TOKEN_AUDIENCE'],
      [await signLogoutToken(hub.ring, { issuer: hub.origin, audience: CLIENT_ID, sid, sub, typ: 'JWT' }), 'ERR_TOKEN_TYPE'],
      [await signLogoutToken(hub.ring, { issuer: hub.origin, audience: CLIENT_ID, sid, sub, claims: { nonce: 'x' } }), 'ERR_LOGOUT_TOKEN_INVALID'],
    ] as const) {
      const refused = await postLogoutToken(url, bad)
      assert.equal(refused.status, 400, code)
      assert.equal(((await refused.json()) as { code: string }).code, code)
    }
    assert.equal((await me(token)).status, 200, 'invalid logout tokens ended nothing')

    const started = performance.now()
    const response = await postLogoutToken(url, logoutToken)
    const after = await me(token)
    const elapsed = performance.now() - started
    assert.equal(response.status, 200, await response.clone().text())
    assert.match(response.headers.get('cache-control')!, /no-store/)
    assert.deepEqual(after, { status: 401, body: { error: 'ERR_TOKEN_REVOKED' } })
    assert.ok(elapsed < 1000, `ended in ${elapsed.toFixed(0)} ms`)
    const page = await get('/', `${TOKEN_COOKIE}=${token}`, HTML)
    assert.equal(page.status, 302, 'pages send the ended session to sign in again')
    assert.equal((await me(other)).status, 200, 'the other session lives')

    const replay = await postLogoutToken(url, logoutToken)
    assert.equal(replay.status, 400)
    assert.equal(((await replay.json()) as { code: string }).code, 'ERR_LOGOUT_TOKEN_REPLAYED')
  })

  test('a hub that is down: a browser gets an honest 503 page, an API client 503 JSON; guests are unaffected', async () => {
    const [port, nobody] = [await freePort(), await freePort()]
    const cut = await startDjangoApp(port, {
      HUB_ORIGIN: `http://auth.acme.localhost:${nobody}`,
      JWKS_URL: `http://127.0.0.1:${nobody}/.well-known/jwks.json`,
      FORWARD_AUTH_URL: `http://127.0.0.1:${nobody}/forward-auth`,
      AUDIENCE,
      APP_ORIGIN: `http://blog.acme.localhost:${port}`,
      DATABASE: join(dir, 'cut.sqlite'),
    })
    try {
      const token = alice
      const page = await fetch(`${cut.url}/`, { redirect: 'manual', headers: { cookie: `${TOKEN_COOKIE}=${token}`, accept: HTML } })
      assert.equal(page.status, 503)
      assert.match(page.headers.get('content-type')!, /^text\/html/)
      assert.match(await page.text(), /<title>Sign-in is unavailable<\/title>/)
      const api = await fetch(`${cut.url}/api/me`, { headers: { cookie: `${TOKEN_COOKIE}=${token}` } })
      assert.equal(api.status, 503)
      assert.deepEqual(await api.json(), { error: 'ERR_HUB_UNAVAILABLE' })
      assert.equal(await (await fetch(`${cut.url}/public`)).text(), 'Hello, guest')
      assert.match(cut.output(), /hub unavailable: cannot load the hub's JWKS/)
    } finally {
      await cut.stop()
    }
  })
})
