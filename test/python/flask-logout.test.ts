import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt, SignJWT } from 'jose'
import { generateKeysConfig } from '../../src/keys/generate.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { signLoginToken } from '../../src/tokens/sign.js'
import { DEFAULT_BACKCHANNEL_POLICY, deliverLogoutToken, signLogoutToken as hubSignLogoutToken } from '../../src/oidc/backchannel-logout.js'
import { tokenCookieName } from '../../src/tokens/cookie-name.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { CookieJar, loginOverHttp } from '../helpers/http.js'
import { assertPythonReady, confirmed, freePort, GENEROUS_RATE_LIMIT, startFlaskApp, type FlaskApp } from './flask-app.js'
import { BACKCHANNEL_LOGOUT_EVENT, postLogoutToken, signLogoutToken } from './logout-token.js'

// The package's back-channel logout receiver and its other guards, in the
// Flask example as a real process, against a real hub and logout tokens
// signed with that hub's own keys. Revocation is off here on purpose: the
// hub session stays alive, so only the back-channel logout can end it.

const TOKEN_COOKIE = tokenCookieName(false)
const AUDIENCE = 'acme.localhost'
const CLIENT_ID = 'wiki'

describe('Flask example: back-channel logout, key rotation, duplicate cookies', () => {
  let hub: TestHub
  let wiki: FlaskApp
  let dir: string
  // The hub's JWKS as the app fetches it, through a tiny server the test can rotate keys on.
  let jwksServer: Server
  let published: unknown[] = []
  let jwksFetches = 0
  /** One sign-in for the tests that end no session (a sign-in costs a deliberately slow password hash). */
  let alice: string
  const logoutUrl = (): string => `${wiki.url}/auth/backchannel-logout`

  before(async () => {
    assertPythonReady()
    dir = mkdtempSync(join(tmpdir(), 'ss-flask-logout-'))
    const port = await freePort()
    hub = await startTestHub({ sites: [{ name: 'wiki', origin: `http://wiki.acme.localhost:${port}`, member: false }], ...GENEROUS_RATE_LIMIT })
    published = [...hub.ring.jwks.keys]
    jwksServer = createServer((_req, res) => {
      jwksFetches += 1
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }))
    })
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
    wiki = await startFlaskApp(port, {
      HUB_ORIGIN: hub.origin,
      JWKS_URL: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`,
      JWKS_MIN_REFETCH_SECONDS: '0', // the refetch bound has its own unit test (python/tests/test_keys.py)
      AUDIENCE,
      CLIENT_ID,
      REVOCATION: 'off',
      APP_ORIGIN: `http://wiki.acme.localhost:${port}`,
      DATABASE: join(dir, 'wiki.sqlite'),
    })
    alice = await signIn()
  })

  after(async () => {
    await wiki?.stop()
    await hub?.close()
    jwksServer?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  /** A real sign-in at the hub; its token cookie, as the browser would carry it. */
  async function signIn(as: { username: string; password: string } = ALICE): Promise<string> {
    const jar = new CookieJar()
    const response = await loginOverHttp(hub, jar, { username: as.username, password: as.password })
    assert.equal(response.status, 303)
    const token = jar.get(TOKEN_COOKIE)
    assert.ok(token, `the hub set ${TOKEN_COOKIE}`)
    return token
  }

  /** /api/me from a browser in which the hub has confirmed the token `cookie` carries. */
  function me(cookie: string, accept = 'application/json'): Promise<Response> {
    return fetch(`${wiki.url}/api/me`, { headers: { cookie: confirmed(cookie), accept } })
  }

  function logoutToken(token: string, options: Partial<Parameters<typeof signLogoutToken>[1]> = {}): Promise<string> {
    const { sid, sub } = decodeJwt(token) as { sid: string; sub: string }
    return signLogoutToken(hub.ring, { issuer: hub.origin, audience: CLIENT_ID, sid, sub, ...options })
  }

  test('a back-channel logout ends that session within a second, and only that one', async () => {
    const [phone, laptop] = [await signIn(), await signIn()]
    assert.notEqual(decodeJwt(phone).sid, decodeJwt(laptop).sid)
    assert.equal((await me(`${TOKEN_COOKIE}=${phone}`)).status, 200)
    assert.equal((await me(`${TOKEN_COOKIE}=${laptop}`)).status, 200)

    const started = performance.now()
    const response = await postLogoutToken(logoutUrl(), await logoutToken(phone))
    const refused = await me(`${TOKEN_COOKIE}=${phone}`)
    const elapsed = performance.now() - started
    assert.equal(response.status, 200, await response.clone().text())
    assert.equal(response.headers.get('cache-control'), 'no-store')
    assert.equal(refused.status, 401)
    assert.deepEqual(await refused.json(), { error: 'ERR_TOKEN_REVOKED' })
    assert.ok(elapsed < 1000, `ended in ${elapsed.toFixed(0)} ms`)

    const page = await fetch(`${wiki.url}/`, { redirect: 'manual', headers: { cookie: `${TOKEN_COOKIE}=${phone}`, accept: 'text/html' } })
    assert.equal(page.status, 302, 'a page goes back to the hub')
    assert.match(page.headers.get('location')!, /\/refresh\?return=/)
    assert.equal((await me(`${TOKEN_COOKIE}=${laptop}`)).status, 200, "alice's other device stays signed in")
    assert.match(wiki.output(), /back-channel logout: session \S+ of user \S+ ended/)
  })

  test("the hub's own sender (src/oidc: its logout token, its delivery) is accepted, and a replay is not retried", async () => {
    const session = await signIn()
    const { sid, sub } = decodeJwt(session) as { sid: string; sub: string }
    const token = await hubSignLogoutToken(hub.ring, { issuer: hub.origin, clientId: CLIENT_ID, sub, sid })
    const logged: string[] = []
    assert.equal(await deliverLogoutToken(logoutUrl(), token, DEFAULT_BACKCHANNEL_POLICY, (m) => logged.push(m)), true)
    assert.deepEqual(await (await me(`${TOKEN_COOKIE}=${session}`)).json(), { error: 'ERR_TOKEN_REVOKED' })
    assert.equal(await deliverLogoutToken(logoutUrl(), token, { ...DEFAULT_BACKCHANNEL_POLICY, backoffMs: 0 }, (m) => logged.push(m)), false)
    assert.match(logged.join('\n'), /HTTP 400/)
  })

  test('a logout token with sub and no sid ends every session of that user issued until then', async () => {
    const bob = { username: 'bob', password: 'builder-of-things' }
    await hub.users.add(bob)
    const [one, two] = [await signIn(bob), await signIn(bob)]
    const sub = decodeJwt(one).sub!
    const response = await postLogoutToken(logoutUrl(), await signLogoutToken(hub.ring, { issuer: hub.origin, audience: CLIENT_ID, sub }))
    assert.equal(response.status, 200, await response.clone().text())
    for (const token of [one, two]) {
      const refused = await me(`${TOKEN_COOKIE}=${token}`)
      assert.equal(refused.status, 401)
      assert.deepEqual(await refused.json(), { error: 'ERR_TOKEN_REVOKED' })
    }
    assert.equal((await me(`${TOKEN_COOKIE}=${alice}`)).status, 200, 'another user is untouched')
  })

  test('a replayed logout token is refused with 400 (the jti is single-use)', async () => {
    const token = await logoutToken(await signIn())
    assert.equal((await postLogoutToken(logoutUrl(), token)).status, 200)
    const replay = await postLogoutToken(logoutUrl(), token)
    assert.equal(replay.status, 400)
    assert.equal(replay.headers.get('cache-control'), 'no-store')
    const body = (await replay.json()) as Record<string, unknown>
    assert.equal(body.error, 'invalid_request')
    assert.equal(body.code, 'ERR_LOGOUT_TOKEN_REPLAYED')
  })

  test('invalid logout tokens are refused with 400 and end nothing', async () => {
    const session = await signIn()
    const { sid, sub } = decodeJwt(session) as { sid: string; sub: string }
    const other = await loadKeyRing(await generateKeysConfig())
    const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
    const good = await logoutToken(session)
    const cases: Array<[string, string, string]> = [
      ['a login token (typ shared-session+jwt)', session, 'ERR_TOKEN_TYPE'],
      ['typ JWT', await logoutToken(session, { typ: 'JWT' }), 'ERR_TOKEN_TYPE'],
      ['another client id', await logoutToken(session, { audience: 'forum' }), 'ERR_TOKEN_AUDIENCE'],
      ['another issuer', await logoutToken(session, { issuer: 'http://auth.evil.localhost' }), 'ERR_TOKEN_ISSUER'],
      ['no events', await logoutToken(session, { claims: { events: null } }), 'ERR_TOKEN_CLAIM_INVALID'],
      ['another event', await logoutToken(session, { claims: { events: { 'http://schemas.openid.net/event/other': {} } } }), 'ERR_LOGOUT_TOKEN_INVALID'],
      ['events as a list', await logoutToken(session, { claims: { events: [BACKCHANNEL_LOGOUT_EVENT] } }), 'ERR_LOGOUT_TOKEN_INVALID'],
      ['a nonce (an ID token)', await logoutToken(session, { claims: { nonce: 'n-0S6_WzA2Mj' } }), 'ERR_LOGOUT_TOKEN_INVALID'],
      ['neither sid nor sub', await logoutToken(session, { claims: { sid: null, sub: null } }), 'ERR_LOGOUT_TOKEN_INVALID'],
      ['no jti', await logoutToken(session, { claims: { jti: null } }), 'ERR_TOKEN_CLAIM_INVALID'],
      ['no iat', await logoutToken(session, { claims: { iat: null } }), 'ERR_TOKEN_CLAIM_INVALID'],
      ['expired', await logoutToken(session, { now: Date.now() - 3_600_000 }), 'ERR_TOKEN_EXPIRED'],
      ['a lifetime of a day', await logoutToken(session, { ttlSeconds: 86_400 }), 'ERR_TOKEN_CLAIM_INVALID'],
      ["another deployment's key", await signLogoutToken(other, { issuer: hub.origin, audience: CLIENT_ID, sid, sub }), 'ERR_TOKEN_KEY_UNKNOWN'],
      ['alg none', `${encode({ alg: 'none', typ: 'logout+jwt', kid: hub.ring.signer.kid })}.${good.split('.')[1]}.`, 'ERR_TOKEN_ALGORITHM'],
      ['a bad signature', `${good.slice(0, -4)}AAAA`, 'ERR_TOKEN_SIGNATURE'],
      ['not a JWT', 'not-a-jwt', 'ERR_TOKEN_MALFORMED'],
    ]
    for (const [name, token, code] of cases) {
      const response = await postLogoutToken(logoutUrl(), token)
      assert.equal(response.status, 400, `${name}: ${response.status}`)
      assert.equal(response.headers.get('cache-control'), 'no-store', name)
      assert.equal(((await response.json()) as { code: string }).code, code, name)
    }
    const twice = await postLogoutToken(logoutUrl(), [good, good])
    assert.equal(twice.status, 400, 'two logout_token fields')
    const json = await fetch(logoutUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ logout_token: good }) })
    assert.equal(json.status, 400, 'a JSON body')
    assert.equal((await fetch(logoutUrl())).status, 405, 'GET')
    assert.equal((await me(`${TOKEN_COOKIE}=${session}`)).status, 200, 'none of them ended the session')
    assert.equal((await postLogoutToken(logoutUrl(), good)).status, 200, 'the genuine token still works: nothing spent its jti')
  })

  test('a key rotation is followed: a token of the new key verifies as soon as the JWKS publishes it, the old key still works', async () => {
    const old = alice
    const sub = decodeJwt(old).sub!
    const next = await loadKeyRing(await generateKeysConfig({ alg: 'ES256' }))
    const rotated = await signLoginToken(next, { issuer: hub.origin, audience: AUDIENCE, sid: decodeJwt(old).sid as string, user: { sub, username: 'alice' } })
    const before = await me(`${TOKEN_COOKIE}=${rotated}`)
    assert.deepEqual([before.status, await before.json()], [401, { error: 'ERR_TOKEN_KEY_UNKNOWN' }])
    published = [...next.jwks.keys, ...hub.ring.jwks.keys]
    const fetches = jwksFetches
    const after = await me(`${TOKEN_COOKIE}=${rotated}`)
    assert.equal(after.status, 200, 'the unknown kid made the app fetch the JWKS again')
    assert.equal(jwksFetches, fetches + 1)
    assert.equal((await me(`${TOKEN_COOKIE}=${old}`)).status, 200, 'tokens of the previous key verify during the overlap')
    assert.equal(jwksFetches, fetches + 1, 'known kids come from the cache')
  })

  test('two token cookies in one request are no credential, even when both are valid', async () => {
    const token = alice
    // Another valid token of alice's (this app checks no revocation), as a sibling host could have planted.
    const sibling = await signLoginToken(hub.ring, { issuer: hub.origin, audience: AUDIENCE, sid: 'another-session', user: { sub: decodeJwt(alice).sub!, username: 'alice' } })
    for (const cookie of [`${TOKEN_COOKIE}=${token}; ${TOKEN_COOKIE}=${sibling}`, `${TOKEN_COOKIE}=${token}; theme=dark; ${TOKEN_COOKIE}=${token}`]) {
      const api = await me(cookie)
      assert.equal(api.status, 401)
      assert.deepEqual(await api.json(), { error: 'ERR_COOKIE_DUPLICATE' })
      const page = await fetch(`${wiki.url}/`, { redirect: 'manual', headers: { cookie, accept: 'text/html' } })
      assert.equal(page.status, 302)
      const marker = page.headers.getSetCookie().find((c) => c.startsWith('ss-consumer-bounce='))!.split(';')[0]
      const back = await fetch(`${wiki.url}/`, { redirect: 'manual', headers: { cookie: `${cookie}; ${marker}`, accept: 'text/html' } })
      assert.equal(back.status, 401, 'no loop: a page that says why')
      const html = await back.text()
      assert.match(html, /two sign-in cookies/)
      assert.match(html, /ERR_COOKIE_DUPLICATE/)
    }
    assert.equal((await me(`${TOKEN_COOKIE}=${token}`)).status, 200, 'one cookie is fine')
  })

  test('a token of the right key but a wrong typ, audience or algorithm is refused', async () => {
    const claims = decodeJwt(alice)
    const { alg, kid, key } = hub.ring.signer
    const cases: Array<[string, string]> = [
      [await new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'logout+jwt' }).sign(key), 'ERR_TOKEN_TYPE'],
      [await new SignJWT({ ...claims, aud: 'other.localhost' }).setProtectedHeader({ alg, kid, typ: 'shared-session+jwt' }).sign(key), 'ERR_TOKEN_AUDIENCE'],
    ]
    for (const [token, code] of cases) {
      const response = await me(`${TOKEN_COOKIE}=${token}`)
      assert.equal(response.status, 401)
      assert.deepEqual(await response.json(), { error: code })
    }
  })
})
