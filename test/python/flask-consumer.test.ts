import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt, SignJWT } from 'jose'
import { generateKeysConfig } from '../../src/keys/generate.js'
import { loadKeyRing, type KeyRing } from '../../src/keys/key-ring.js'
import { signLoginToken } from '../../src/tokens/sign.js'
import { tokenCookieName } from '../../src/tokens/cookie-name.js'
import type { SessionUser } from '../../src/stores/store.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { CookieJar, loginOverHttp, logoutOverHttp } from '../helpers/http.js'
import { assertPythonReady, confirmed, freePort, GENEROUS_RATE_LIMIT, startFlaskApp, type FlaskApp } from './flask-app.js'

// The "App 2" of the original blog post, done right, as a real Python process:
// examples/python-flask/app.py verifies the hub's parent-domain token with
// PyJWT against the JWKS and keeps its own users keyed by (iss, sub).

// The hub names its token cookie by its own scheme (an http hub: ss-token); the package derives the same default.
const TOKEN_COOKIE = tokenCookieName(false)
const AUDIENCE = 'acme.localhost'

describe('Flask consumer (examples/python-flask) against a real hub', () => {
  let hub: TestHub
  let wiki: FlaskApp
  let docs: FlaskApp // the same app with the default revocation check (REVOCATION unset), answers not reused
  let dir: string
  let aliceToken: string
  const wikiOrigin = (): string => `http://wiki.acme.localhost:${wiki.port}`

  before(async () => {
    assertPythonReady()
    dir = mkdtempSync(join(tmpdir(), 'ss-flask-'))
    const [wikiPort, docsPort] = [await freePort(), await freePort()]
    hub = await startTestHub({
      sites: [
        { name: 'wiki', origin: `http://wiki.acme.localhost:${wikiPort}`, member: false },
        { name: 'docs', origin: `http://docs.acme.localhost:${docsPort}`, member: false },
      ],
      ...GENEROUS_RATE_LIMIT,
    })
    const common = {
      HUB_ORIGIN: hub.origin,
      // Python, like Node, does not resolve *.localhost: reach the hub by address.
      JWKS_URL: `${hub.url}/.well-known/jwks.json`,
      FORWARD_AUTH_URL: `${hub.url}/forward-auth`,
      AUDIENCE,
    }
    // allSettled, assigning as each starts: if one fails, `after` still stops the other.
    const started = await Promise.allSettled([
      startFlaskApp(wikiPort, { ...common, APP_ORIGIN: `http://wiki.acme.localhost:${wikiPort}`, DATABASE: join(dir, 'wiki.sqlite'), REVOCATION: 'off' }).then((a) => (wiki = a)),
      startFlaskApp(docsPort, { ...common, APP_ORIGIN: `http://docs.acme.localhost:${docsPort}`, DATABASE: join(dir, 'docs.sqlite'), REVOCATION_CACHE_SECONDS: '0' }).then((a) => (docs = a)),
    ])
    for (const result of started) if (result.status === 'rejected') throw result.reason
    aliceToken = await logIn()
  })

  after(async () => {
    await Promise.all([wiki?.stop(), docs?.stop()])
    await hub?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function logIn(): Promise<string> {
    const jar = new CookieJar()
    const response = await loginOverHttp(hub, jar, { username: ALICE.username, password: ALICE.password })
    assert.equal(response.status, 303, `login failed: ${response.status}`)
    const token = jar.get(TOKEN_COOKIE)
    assert.ok(token, 'the hub set the parent-domain token cookie')
    return token
  }

  /** A GET from a browser in which the hub has confirmed `token` (flask-confirm.test.ts: the round trip itself). */
  function get(app: FlaskApp, path: string, token?: string, extraCookies = ''): Promise<Response> {
    const cookie = [token === undefined ? '' : confirmed(`${TOKEN_COOKIE}=${token}`), extraCookies].filter(Boolean).join('; ')
    return fetch(`${app.url}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} })
  }

  async function me(app: FlaskApp, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await get(app, '/api/me', token)
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  function refreshUrl(path: string): string {
    return `${hub.origin}/refresh?return=${encodeURIComponent(`${wikiOrigin()}${path}`)}`
  }

  /** A token signed with the hub's own key unless `ring` says otherwise. */
  function token(user: Partial<SessionUser> = {}, options: { ring?: KeyRing; issuer?: string; audience?: string; now?: number } = {}): Promise<string> {
    return signLoginToken(options.ring ?? hub.ring, {
      issuer: options.issuer ?? hub.origin,
      audience: options.audience ?? AUDIENCE,
      user: { sub: decodeJwt(aliceToken).sub!, username: ALICE.username, email: ALICE.email, name: ALICE.name, ...user },
      sid: 'sid-not-checked-without-revocation',
      now: options.now,
    })
  }

  async function assertNotLoggedIn(tokenValue: string, code: string): Promise<void> {
    const page = await get(wiki, '/?note=1&rev=2', tokenValue)
    assert.equal(page.status, 302, `${code}: a page redirects`)
    assert.equal(page.headers.get('location'), refreshUrl('/?note=1&rev=2'))
    const api = await me(wiki, tokenValue)
    assert.equal(api.status, 401)
    assert.deepEqual(api.body, { error: code })
  }

  test('alice, logged in at the hub, is found-or-created once and recognised after', async () => {
    const first = await me(wiki, aliceToken)
    assert.equal(first.status, 200)
    const claims = decodeJwt(aliceToken)
    assert.deepEqual({ ...first.body, local_id: typeof first.body.local_id }, {
      local_id: 'number',
      iss: hub.origin,
      sub: claims.sub,
      username: 'alice',
      email: ALICE.email,
      name: ALICE.name,
      created: true,
    })

    const page = await get(wiki, '/', aliceToken)
    assert.equal(page.status, 200)
    assert.equal(page.headers.get('cache-control'), 'no-store')
    const html = await page.text()
    assert.ok(html.includes(`Hello, ${ALICE.name}`), html)
    const user = html.match(/<p data-testid="user" data-local-id="(\d+)">([^<]*)<\/p>/)
    assert.ok(user, html)
    assert.equal(Number(user[1]), first.body.local_id)
    assert.ok(user[2]!.includes('alice') && user[2]!.includes(`#${first.body.local_id}`), user[2])

    const second = await me(wiki, aliceToken)
    assert.equal(second.status, 200)
    assert.equal(second.body.created, false)
    assert.equal(second.body.local_id, first.body.local_id)
  })

  test('username, e-mail and name are refreshed from the token on each visit; the page escapes them', async () => {
    const before = await me(wiki, aliceToken)
    const renamed = await token({ username: 'alice.l', email: 'alice@new.example', name: '<b>Alice</b> & co' })
    const after = await me(wiki, renamed)
    assert.equal(after.status, 200)
    assert.equal(after.body.local_id, before.body.local_id, 'same (iss, sub), same local user')
    assert.equal(after.body.created, false)
    assert.deepEqual([after.body.username, after.body.email, after.body.name], ['alice.l', 'alice@new.example', '<b>Alice</b> & co'])
    const html = await (await get(wiki, '/', renamed)).text()
    assert.ok(html.includes('Hello, &lt;b&gt;Alice&lt;/b&gt; &amp; co'), html)
    assert.ok(!html.includes('<b>Alice</b>'))
    await me(wiki, aliceToken) // back to the real profile for the other tests
  })

  test('a new sub with alice\'s e-mail is a different local user (never matched by e-mail)', async () => {
    const alice = await me(wiki, aliceToken)
    const impostor = await me(wiki, await token({ sub: 'u_someone_else', username: 'mallory' }))
    assert.equal(impostor.status, 200)
    assert.equal(impostor.body.created, true)
    assert.notEqual(impostor.body.local_id, alice.body.local_id)
    assert.equal(impostor.body.email, ALICE.email)
    assert.equal(impostor.body.sub, 'u_someone_else')
    const again = await me(wiki, aliceToken)
    assert.equal(again.body.username, 'alice', "alice's own record is untouched")
    assert.equal(again.body.local_id, alice.body.local_id)
  })

  test('no cookie: a page redirects to the hub\'s refresh with the full return URL; /api/me answers 401', async () => {
    const page = await get(wiki, '/?note=1&rev=2')
    assert.equal(page.status, 302)
    assert.equal(page.headers.get('location'), refreshUrl('/?note=1&rev=2'))
    assert.equal(page.headers.get('cache-control'), 'no-store')
    const api = await me(wiki)
    assert.equal(api.status, 401)
    assert.deepEqual(api.body, { error: 'ERR_NOT_AUTHENTICATED' })
  })

  test('the return URL goes through the hub: refresh with a live hub session comes back with a token Flask accepts', async () => {
    const jar = new CookieJar()
    await loginOverHttp(hub, jar, { username: ALICE.username, password: ALICE.password })
    const bounce = await get(wiki, '/?note=1')
    const refresh = await fetch(bounce.headers.get('location')!.replace(hub.origin, hub.url), { redirect: 'manual', headers: { cookie: jar.header() } })
    assert.equal(refresh.status, 302)
    assert.equal(refresh.headers.get('location'), `${wikiOrigin()}/?note=1`)
    jar.take(refresh)
    assert.equal((await me(wiki, jar.get(TOKEN_COOKIE))).body.username, 'alice')
  })

  test('an expired token redirects to refresh (and is 401 ERR_TOKEN_EXPIRED on the API)', async () => {
    await assertNotLoggedIn(await token({}, { now: Date.now() - 3_600_000 }), 'ERR_TOKEN_EXPIRED')
  })

  test('a token signed by another deployment\'s key is refused, whether its kid is unknown or forged', async () => {
    const other = await loadKeyRing(await generateKeysConfig())
    await assertNotLoggedIn(await token({}, { ring: other }), 'ERR_TOKEN_KEY_UNKNOWN')
    const forgedKid: KeyRing = { ...other, signer: { ...other.signer, kid: hub.ring.signer.kid } }
    await assertNotLoggedIn(await token({}, { ring: forgedKid }), 'ERR_TOKEN_SIGNATURE')
  })

  test('wrong audience and wrong issuer are refused', async () => {
    await assertNotLoggedIn(await token({}, { audience: 'other.localhost' }), 'ERR_TOKEN_AUDIENCE')
    await assertNotLoggedIn(await token({}, { issuer: 'http://auth.evil.localhost' }), 'ERR_TOKEN_ISSUER')
  })

  test('another JWT from the same key (typ not shared-session+jwt), alg none and HS256 key confusion are refused', async () => {
    const claims = decodeJwt(await token())
    const { alg, kid, key } = hub.ring.signer
    const plainJwt = await new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key)
    await assertNotLoggedIn(plainJwt, 'ERR_TOKEN_TYPE')

    const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
    const body = encode(claims)
    await assertNotLoggedIn(`${encode({ alg: 'none', typ: 'shared-session+jwt', kid })}.${body}.`, 'ERR_TOKEN_ALGORITHM')
    // The classic confusion: HMAC keyed with the public key the JWKS publishes.
    const publicX = hub.ring.jwks.keys.find((k) => k.kid === kid)!.x!
    const head = encode({ alg: 'HS256', typ: 'shared-session+jwt', kid })
    const mac = createHmac('sha256', publicX).update(`${head}.${body}`).digest('base64url')
    await assertNotLoggedIn(`${head}.${body}.${mac}`, 'ERR_TOKEN_ALGORITHM')
    await assertNotLoggedIn('not-a-jwt', 'ERR_TOKEN_MALFORMED')
  })

  test('a token the app still refuses right after a trip to the hub shows an error page, not a redirect loop', async () => {
    const wrong = await token({}, { audience: 'other.localhost' })
    const first = await get(wiki, '/', wrong)
    assert.equal(first.status, 302)
    const marker = first.headers.getSetCookie().find((c) => c.startsWith('ss-consumer-bounce='))
    assert.ok(marker, 'the redirect marks the trip')
    const back = await get(wiki, '/', wrong, marker.split(';')[0])
    assert.equal(back.status, 401)
    assert.match(await back.text(), /ERR_TOKEN_AUDIENCE/)
  })

  test('a hub that cannot be reached is a 503 (a page for a person, JSON for a program), never a silently anonymous visitor or a redirect', async () => {
    const [port, nobody] = [await freePort(), await freePort()]
    const cut = await startFlaskApp(port, {
      HUB_ORIGIN: hub.origin,
      JWKS_URL: `http://127.0.0.1:${nobody}/.well-known/jwks.json`,
      AUDIENCE,
      APP_ORIGIN: `http://wiki.acme.localhost:${port}`,
      DATABASE: join(dir, 'cut.sqlite'),
    })
    try {
      const api = await me(cut, aliceToken)
      assert.equal(api.status, 503)
      assert.deepEqual(api.body, { error: 'ERR_HUB_UNAVAILABLE' })
      const page = await fetch(`${cut.url}/?x=1`, { redirect: 'manual', headers: { cookie: `${TOKEN_COOKIE}=${aliceToken}`, accept: 'text/html' } })
      assert.equal(page.status, 503)
      assert.match(page.headers.get('content-type')!, /^text\/html/)
      assert.equal(page.headers.get('retry-after'), '5')
      assert.equal(page.headers.get('cache-control'), 'no-store')
      const html = await page.text()
      assert.match(html, /<title>Sign-in is unavailable<\/title>/, 'an honest page for a person, not raw JSON')
      assert.match(html, /href="http:\/\/wiki\.acme\.localhost:\d+\/\?x=1">Try again/)
      assert.doesNotMatch(html, /Traceback|Internal Server Error|ERR_HUB_UNAVAILABLE"\}/)
      assert.equal((await get(cut, '/')).status, 302, 'a visitor without a token is simply sent to sign in')
      assert.match(cut.output(), /hub unavailable: cannot load the hub's JWKS/)
    } finally {
      await cut.stop()
    }
  })

  test('revocation is on by default: a token replayed after logout at the hub is refused before it expires', async () => {
    const jar = new CookieJar()
    await loginOverHttp(hub, jar, { username: ALICE.username, password: ALICE.password })
    const saved = jar.get(TOKEN_COOKIE)!
    const live = await me(docs, saved)
    assert.equal(live.status, 200)
    assert.equal(live.body.username, 'alice')

    const logout = await logoutOverHttp(hub, jar)
    assert.equal(logout.status, 303)

    const replay = await me(docs, saved)
    assert.equal(replay.status, 401)
    assert.deepEqual(replay.body, { error: 'ERR_TOKEN_REVOKED' })
    const page = await get(docs, '/', saved)
    assert.equal(page.status, 302)
    assert.match(page.headers.get('location')!, /\/refresh\?return=/)
    assert.equal((await me(wiki, saved)).status, 200, 'with REVOCATION=off the signature alone is trusted until exp (the trade-off)')
  })
})
