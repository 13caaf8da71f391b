// The subdomain token consumer against a real hub: tokens the hub issues
// over HTTP, the hub's real JWKS, the hub's /refresh and /logout. Each test
// says what a member app sees for one kind of visitor or one kind of token.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import type { MiddlewareCore, MiddlewareResult } from '../../src/adapters/middleware.js'
import { createJwksClient, type JwksClient, type JwksClientOptions } from '../../src/consumer/jwks-client.js'
import { createTokenConsumer, type TokenAuth, type TokenConsumerOptions } from '../../src/consumer/token-consumer.js'
import { SharedSessionError } from '../../src/errors/shared-session-error.js'
import { generateKeysConfig } from '../../src/keys/generate.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { rotateSigningKeys } from '../../src/keys/rotate.js'
import { storeRevocationCheck } from '../../src/tokens/revocation.js'
import { hubRevocationCheck } from '../../src/tokens/hub-revocation.js'
import { signLoginToken } from '../../src/tokens/sign.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { CookieJar, loginOverHttp, logoutOverHttp } from '../helpers/http.js'
import { rejectsWith } from '../helpers/keys.js'
import { ringHeader, signRaw } from '../tokens/craft.js'
import {
  AUDIENCE,
  FETCH,
  FORUM,
  NAVIGATE,
  TOKEN_COOKIE,
  closedPort,
  localUsers,
  payloadOf,
  requestHead,
  type LocalUser,
} from './fixtures.js'

const SITES = [{ name: 'forum', origin: FORUM, member: false }]

let hub: TestHub
const hubs: TestHub[] = []

async function startHub(options: Parameters<typeof startTestHub>[0] = {}): Promise<TestHub> {
  const started = await startTestHub({ sites: SITES, ...options })
  hubs.push(started)
  return started
}

before(async () => {
  hub = await startHub()
})

after(async () => {
  await Promise.all(hubs.map((h) => h.close().catch(() => {})))
})

/** Log alice in at the hub's real form; the jar then holds the hub cookie and the token cookie. */
async function login(at: TestHub = hub): Promise<{ jar: CookieJar; token: string }> {
  const jar = new CookieJar()
  const response = await loginOverHttp(at, jar, ALICE)
  assert.equal(response.status, 303, 'login at the hub succeeds')
  const token = jar.get(TOKEN_COOKIE)
  assert.ok(token, 'the hub sets the parent-domain token cookie')
  return { jar, token }
}

/** A JWKS client for the hub at `at()` that counts the requests it makes (and can be told the hub is down). */
function countingJwks(at: () => string, options: Partial<JwksClientOptions> & { down?: () => boolean } = {}): JwksClient & { fetches: () => number } {
  let fetches = 0
  const client = createJwksClient({
    url: 'http://auth.acme.localhost/.well-known/jwks.json',
    ...options,
    fetch: async (_input, init) => {
      fetches += 1
      if (options.down?.()) throw new TypeError('fetch failed (hub down)')
      return fetch(`${at()}/.well-known/jwks.json`, init)
    },
  })
  return Object.assign(client, { fetches: () => fetches })
}

function consumerFor(at: TestHub, options: Partial<TokenConsumerOptions<LocalUser>> = {}): MiddlewareCore<TokenAuth<LocalUser>> {
  return createTokenConsumer<LocalUser>({
    hub: at.origin,
    origin: FORUM,
    audience: AUDIENCE,
    keys: createJwksClient({ url: `${at.url}/.well-known/jwks.json` }),
    // The hub by address: Node does not resolve *.localhost.
    revocationUrl: `${at.url}/forward-auth`,
    findOrCreateUser: localUsers().findOrCreateUser,
    ...options,
  })
}

/** The refresh URL the consumer must send a navigation to, for a path on the forum. */
function refreshUrl(at: TestHub, path: string, optional = false): string {
  return `${at.origin}/refresh?return=${encodeURIComponent(FORUM + path)}${optional ? '&optional=1' : ''}`
}

function assertSignedIn(result: MiddlewareResult<TokenAuth<LocalUser>>, username = 'alice'): LocalUser {
  assert.equal(result.response, undefined, 'a signed-in request reaches the app')
  assert.equal(result.value.claims?.username, username)
  assert.ok(result.value.user, 'findOrCreateUser gave the app a user')
  assert.equal(result.value.user.username, username)
  return result.value.user
}

/** "Not signed in" as the core answers a script: 401 with a code, nothing for the app, no redirect. */
async function assertRefused401(result: MiddlewareResult<TokenAuth<LocalUser>>): Promise<void> {
  assert.ok(result.response, 'the core answers instead of the app')
  assert.equal(result.response.status, 401)
  assert.equal(result.response.headers.get('location'), null, 'never a redirect for a non-navigation')
  assert.equal(result.response.headers.get('cache-control'), 'no-store')
  assert.deepEqual(await result.response.json(), { error: 'ERR_NOT_AUTHENTICATED' })
  assert.deepEqual(result.value, { claims: null, user: null })
}

function assertRedirect(result: MiddlewareResult<TokenAuth<LocalUser>>, location: string): void {
  assert.ok(result.response, 'the core answers with a redirect')
  assert.equal(result.response.status, 302)
  assert.equal(result.response.headers.get('location'), location)
  assert.equal(result.response.headers.get('cache-control'), 'no-store', 'a redirect through the hub is never cached')
  assert.deepEqual(result.value, { claims: null, user: null })
}

function aliceUser(sub: string) {
  return { sub, username: ALICE.username, email: ALICE.email, name: ALICE.name }
}

describe('token consumer: a valid token', () => {
  it('gives the app the verified claims and the user from findOrCreateUser', async () => {
    const { token } = await login()
    const users = localUsers()
    const consumer = consumerFor(hub, { findOrCreateUser: users.findOrCreateUser })
    assert.equal(consumer.property, 'auth')
    assert.equal(consumer.origin, FORUM)

    const written: string[] = []
    const result = await consumer.handle(requestHead('/t/1', NAVIGATE, token), { setCookie: (c) => void written.push(c), setHeader: (n) => void written.push(n) })
    const user = assertSignedIn(result)
    const claims = result.value.claims!
    assert.equal(claims.iss, hub.origin)
    assert.equal(claims.aud, AUDIENCE)
    assert.equal(claims.email, ALICE.email)
    assert.equal(claims.name, ALICE.name)
    assert.match(claims.sub, /^u_/)
    assert.equal(typeof claims.sid, 'string')
    assert.deepEqual(user, { id: 1, username: 'alice', email: ALICE.email })
    assert.deepEqual(written, [], 'the consumer writes no cookies or headers of its own')
  })

  it('is accepted from fetch() and POST too: only visitors without a valid token are turned away', async () => {
    const { token } = await login()
    const consumer = consumerFor(hub)
    assertSignedIn(await consumer.handle(requestHead('/api/posts', FETCH, token)))
    assertSignedIn(await consumer.handle(requestHead('/api/posts', FETCH, token, 'POST')))
  })

  it('finds or creates the local user by (iss, sub): first visit creates, later visits find', async () => {
    const { token } = await login()
    const users = localUsers()
    const consumer = consumerFor(hub, { findOrCreateUser: users.findOrCreateUser })

    const first = assertSignedIn(await consumer.handle(requestHead('/', NAVIGATE, token)))
    assert.equal(users.created, 1)
    const second = assertSignedIn(await consumer.handle(requestHead('/t/2', FETCH, token)))
    assert.equal(users.created, 1, 'the second visit finds the user, it does not create another')
    assert.equal(second, first)

    // A new login is a new token and a new session, but the same (iss, sub): the same local user.
    const again = await login()
    assert.notEqual(again.token, token)
    assert.equal(assertSignedIn(await consumer.handle(requestHead('/', NAVIGATE, again.token))), first)
    assert.equal(users.created, 1)
    assert.deepEqual([...users.byIdentity.keys()], [`${hub.origin}\n${payloadOf(token).sub}`])
  })

  it('a NEW sub with alice\'s e-mail becomes a different local user (never matched by e-mail)', async () => {
    const { token } = await login()
    const users = localUsers()
    // The impostor's session does not exist: only the mapping of identities is tested here, not revocation.
    const consumer = consumerFor(hub, { findOrCreateUser: users.findOrCreateUser, revocation: false })
    const alice = assertSignedIn(await consumer.handle(requestHead('/', NAVIGATE, token)))

    const impostor = await signLoginToken(hub.ring, {
      issuer: hub.origin,
      audience: AUDIENCE,
      user: { sub: 'u_someone_else', username: 'alice2', email: ALICE.email },
      sid: 'c2lkLW9mLWFub3RoZXItc2Vzc2lvbg',
    })
    const result = await consumer.handle(requestHead('/', NAVIGATE, impostor))
    const other = assertSignedIn(result, 'alice2')
    assert.equal(result.value.claims?.email, ALICE.email, 'same e-mail in the token')
    assert.notEqual(other, alice)
    assert.notEqual(other.id, alice.id)
    assert.equal(users.created, 2)
  })

  it('without findOrCreateUser the user is the claims themselves', async () => {
    const { token } = await login()
    const consumer = createTokenConsumer({ hub: hub.origin, origin: FORUM, audience: AUDIENCE, keys: createJwksClient({ url: `${hub.url}/.well-known/jwks.json` }), revocationUrl: `${hub.url}/forward-auth` })
    const result = await consumer.handle(requestHead('/', NAVIGATE, token))
    assert.equal(result.value.user, result.value.claims)
    assert.equal(result.value.claims?.username, 'alice')
  })
})

describe('token consumer: no token', () => {
  it('a top-level navigation is sent to the hub\'s /refresh with the full return URL (path and query)', async () => {
    const consumer = consumerFor(hub)
    const result = await consumer.handle(requestHead('/t/1?page=2&sort=new', NAVIGATE))
    assertRedirect(result, refreshUrl(hub, '/t/1?page=2&sort=new'))
    assert.equal(new URL(result.response!.headers.get('location')!).searchParams.get('return'), `${FORUM}/t/1?page=2&sort=new`)
  })

  it('a navigation detected by Accept alone (browsers without Sec-Fetch) is redirected too', async () => {
    const result = await consumerFor(hub).handle(requestHead('/', { accept: 'text/html,application/xhtml+xml', 'user-agent': 'Mozilla/5.0' }))
    assertRedirect(result, refreshUrl(hub, '/'))
  })

  it('the return URL is built on the configured origin, whatever URL the request names', async () => {
    const consumer = consumerFor(hub)
    const head = { method: 'GET', url: 'http://evil.localhost:666/t/9?x=1', headers: new Headers({ ...NAVIGATE, host: 'evil.localhost:666' }) }
    assertRedirect(await consumer.handle(head), refreshUrl(hub, '/t/9?x=1'))
  })

  it('fetch() gets 401 with a code, never a redirect', async () => {
    await assertRefused401(await consumerFor(hub).handle(requestHead('/api/posts', FETCH)))
  })

  it('a POST gets 401, never a redirect, even one that looks like a navigation', async () => {
    await assertRefused401(await consumerFor(hub).handle(requestHead('/t/1/reply', NAVIGATE, undefined, 'POST')))
  })

  it('subresources (an image, an iframe) get 401, never a redirect', async () => {
    const consumer = consumerFor(hub)
    await assertRefused401(await consumer.handle(requestHead('/avatar.png', { 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' })))
    await assertRefused401(await consumer.handle(requestHead('/embed', { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' })))
  })

  it('crawlers are never bounced through the hub', async () => {
    const consumer = consumerFor(hub)
    for (const ua of ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'curl/8.5.0', 'Slackbot-LinkExpanding 1.0']) {
      const result = await consumer.handle(requestHead('/t/1', { ...NAVIGATE, 'user-agent': ua }))
      await assertRefused401(result)
    }
  })

  it('requireLogin: false lets visitors in as guests: no redirect, no 401', async () => {
    const consumer = consumerFor(hub, { requireLogin: false })
    for (const headers of [NAVIGATE, FETCH]) {
      const result = await consumer.handle(requestHead('/t/1', headers))
      assert.equal(result.response, undefined)
      assert.deepEqual(result.value, { claims: null, user: null })
    }
  })

  it('an empty or garbage token cookie is no token, not an error', async () => {
    const consumer = consumerFor(hub)
    for (const junk of ['', 'not-a-jwt', 'a.b.c', '%%%', 'x'.repeat(20_000)]) {
      await assertRefused401(await consumer.handle(requestHead('/api', FETCH, junk)))
      assertRedirect(await consumer.handle(requestHead('/p', NAVIGATE, junk)), refreshUrl(hub, '/p'))
    }
  })
})

describe('token consumer: tokens that must not sign anyone in', () => {
  const sid = 'c2lkLXJlZmVyZW5jZS0wMDAx'

  it('an expired token sends a navigation to /refresh, and a script gets 401', async () => {
    const expired = await signLoginToken(hub.ring, { issuer: hub.origin, audience: AUDIENCE, user: aliceUser('u_alice'), sid, ttlSeconds: 900, now: Date.now() - 3600_000 })
    const consumer = consumerFor(hub)
    assertRedirect(await consumer.handle(requestHead('/t/1', NAVIGATE, expired)), refreshUrl(hub, '/t/1'))
    await assertRefused401(await consumer.handle(requestHead('/api', FETCH, expired)))
  })

  it('requireLogin: false: a guest stays a guest, but an EXPIRED token on a navigation asks /refresh with optional=1', async () => {
    const expired = await signLoginToken(hub.ring, { issuer: hub.origin, audience: AUDIENCE, user: aliceUser('u_alice'), sid, now: Date.now() - 3600_000 })
    const consumer = consumerFor(hub, { requireLogin: false })
    assertRedirect(await consumer.handle(requestHead('/t/1?a=b', NAVIGATE, expired)), refreshUrl(hub, '/t/1?a=b', true))
    // Not a navigation: no bounce possible, so a guest.
    const api = await consumer.handle(requestHead('/api', FETCH, expired))
    assert.equal(api.response, undefined)
    assert.deepEqual(api.value, { claims: null, user: null })
  })

  it('the clock is injectable: a token that is fine now is expired an hour later', async () => {
    const { token } = await login()
    const later = consumerFor(hub, { now: () => Date.now() + 3600_000 })
    assertRedirect(await later.handle(requestHead('/', NAVIGATE, token)), refreshUrl(hub, '/'))
  })

  const forged: Array<[string, () => Promise<string>]> = [
    ['another issuer', () => signLoginToken(hub.ring, { issuer: 'http://auth.evil.localhost:4000', audience: AUDIENCE, user: aliceUser('u_alice'), sid })],
    ['the hub origin on another port as issuer', () => signLoginToken(hub.ring, { issuer: `http://auth.acme.localhost:${hub.port + 1}`, audience: AUDIENCE, user: aliceUser('u_alice'), sid })],
    ['another audience', () => signLoginToken(hub.ring, { issuer: hub.origin, audience: 'shop.localhost', user: aliceUser('u_alice'), sid })],
    ['another ring (unknown kid)', async () => {
      const other = await loadKeyRing(await generateKeysConfig())
      return signLoginToken(other, { issuer: hub.origin, audience: AUDIENCE, user: aliceUser('u_alice'), sid })
    }],
    ['another ring\'s key under the hub\'s kid', async () => {
      const other = await loadKeyRing(await generateKeysConfig())
      const { token } = await login()
      return signRaw(other.signer.key, ringHeader(hub.ring), payloadOf(token))
    }],
    ['a tampered payload (username changed, signature kept)', async () => {
      const { token } = await login()
      const [h, , s] = token.split('.')
      const payload = Buffer.from(JSON.stringify({ ...payloadOf(token), username: 'admin' })).toString('base64url')
      return `${h}.${payload}.${s}`
    }],
    ['a tampered signature', async () => {
      const { token } = await login()
      const [h, p, s] = token.split('.')
      const sig = Buffer.from(s!, 'base64url')
      sig[0]! ^= 0x01
      return `${h}.${p}.${sig.toString('base64url')}`
    }],
    ['alg none', async () => {
      const { token } = await login()
      const header = Buffer.from(JSON.stringify({ alg: 'none', kid: hub.ring.signer.kid, typ: 'shared-session+jwt' })).toString('base64url')
      return `${header}.${token.split('.')[1]}.`
    }],
  ]

  for (const [name, make] of forged) {
    it(`${name}: treated as not logged in`, async () => {
      const token = await make()
      const users = localUsers()
      const consumer = consumerFor(hub, { findOrCreateUser: users.findOrCreateUser })
      await assertRefused401(await consumer.handle(requestHead('/api', FETCH, token)))
      assertRedirect(await consumer.handle(requestHead('/t/1', NAVIGATE, token)), refreshUrl(hub, '/t/1'))
      const guest = consumerFor(hub, { requireLogin: false, findOrCreateUser: users.findOrCreateUser })
      const asGuest = await guest.handle(requestHead('/t/1', NAVIGATE, token))
      assert.equal(asGuest.response, undefined, 'a bad (not expired) token on a guest-friendly site is simply a guest')
      assert.deepEqual(asGuest.value, { claims: null, user: null })
      assert.equal(users.created, 0, 'no local user was created for a bad token')
    })
  }
})

describe('token consumer: revocation (logout at the hub)', () => {
  it('with storeRevocationCheck a logged-out session\'s token is refused; without a check (false) the token lives until exp', async () => {
    const { jar, token } = await login()
    const revoking = consumerFor(hub, { revocation: storeRevocationCheck(hub.store) })
    const trusting = consumerFor(hub, { revocation: false })
    assertSignedIn(await revoking.handle(requestHead('/', NAVIGATE, token)))
    assertSignedIn(await trusting.handle(requestHead('/', NAVIGATE, token)))

    const logout = await logoutOverHttp(hub, jar)
    assert.equal(logout.status, 303)
    assert.ok(logout.headers.getSetCookie().some((c) => c.startsWith(`${TOKEN_COOKIE}=;`)), 'logout clears the token cookie')

    // A browser drops the cookie; an attacker who copied the token keeps it.
    await assertRefused401(await revoking.handle(requestHead('/api', FETCH, token)))
    assertRedirect(await revoking.handle(requestHead('/t/1', NAVIGATE, token)), refreshUrl(hub, '/t/1'))
    // The trade-off of a pure signature check: still accepted until exp.
    assertSignedIn(await trusting.handle(requestHead('/api', FETCH, token)))
  })

  it("by default the hub's /forward-auth is asked: a sign-out reaches the app within the 5 s the answer is kept", async () => {
    const { jar, token } = await login()
    let clock = Date.now()
    const consumer = consumerFor(hub, { now: () => clock })
    assertSignedIn(await consumer.handle(requestHead('/api', FETCH, token)))
    assert.equal((await logoutOverHttp(hub, jar)).status, 303)
    assertSignedIn(await consumer.handle(requestHead('/api', FETCH, token)), 'alice') // the answer of a moment ago
    clock += 5001
    await assertRefused401(await consumer.handle(requestHead('/api', FETCH, token)))
  })

  it('the default check with the hub unreachable: logged once and the signature trusted (auto); a 503 with required', async () => {
    const { token } = await login()
    const port = await closedPort()
    const logged: string[] = []
    const auto = consumerFor(hub, { revocationUrl: `http://127.0.0.1:${port}/forward-auth`, log: (m) => void logged.push(m) })
    assertSignedIn(await auto.handle(requestHead('/api', FETCH, token)))
    assertSignedIn(await auto.handle(requestHead('/api', FETCH, token)))
    assert.equal(logged.filter((m) => /revocation not checked/.test(m)).length, 1, logged.join('\n'))
    const required = consumerFor(hub, { revocation: hubRevocationCheck({ url: `http://127.0.0.1:${port}/forward-auth`, mode: 'required', log: () => {} }) })
    const err = await rejectsWith(() => required.handle(requestHead('/api', FETCH, token)), 'ERR_HUB_UNAVAILABLE')
    assert.equal(err.status, 503)
  })

  it('a token naming a live session of ANOTHER user is refused', async () => {
    const { token } = await login()
    const livingSid = payloadOf(token).sid as string
    const forged = await signLoginToken(hub.ring, { issuer: hub.origin, audience: AUDIENCE, user: { sub: 'u_mallory', username: 'mallory' }, sid: livingSid })
    const revoking = consumerFor(hub, { revocation: storeRevocationCheck(hub.store) })
    assertSignedIn(await revoking.handle(requestHead('/', NAVIGATE, token)))
    await assertRefused401(await revoking.handle(requestHead('/api', FETCH, forged)))
  })

  it('a revocation store that is down is a 503 error, never a silently anonymous user', async () => {
    const { token } = await login()
    const consumer = consumerFor(hub, {
      revocation: async () => {
        throw new SharedSessionError('ERR_STORE_UNAVAILABLE', 'redis is down')
      },
    })
    const err = await rejectsWith(() => consumer.handle(requestHead('/', NAVIGATE, token)), 'ERR_STORE_UNAVAILABLE')
    assert.equal(err.status, 503)
  })
})

describe('token consumer: the hub\'s keys (JWKS)', () => {
  it('JWKS rotation: a consumer that cached the old keys refetches on the unknown kid and accepts the new token', async () => {
    const issuer = 'http://auth.acme.localhost:4000'
    const config = await generateKeysConfig()
    const original = await startHub({ keys: await loadKeyRing(config), issuer })
    let current = original
    let clock = Date.now()
    const jwks = countingJwks(() => current.url, { now: () => clock })
    const consumer = consumerFor(original, { issuer, keys: jwks })

    const old = await login(original)
    assertSignedIn(await consumer.handle(requestHead('/', NAVIGATE, old.token)))
    assert.equal(jwks.fetches(), 1)
    assertSignedIn(await consumer.handle(requestHead('/', NAVIGATE, old.token)))
    assert.equal(jwks.fetches(), 1, 'keys are cached')

    // The hub restarts with a rotated ring: a new key signs, the old one still verifies.
    await original.close()
    const rotatedRing = await loadKeyRing(await rotateSigningKeys(config))
    current = await startHub({ keys: rotatedRing, issuer })
    const fresh = await login(current)
    assert.notEqual(payloadOf(fresh.token).sid, undefined)
    const kid = JSON.parse(Buffer.from(fresh.token.split('.')[0]!, 'base64url').toString()).kid
    assert.equal(kid, rotatedRing.signer.kid)
    assert.notEqual(kid, JSON.parse(Buffer.from(old.token.split('.')[0]!, 'base64url').toString()).kid)

    clock += 31_000 // past the unknown-kid refresh throttle (minRefreshMs, 30 s)
    assertSignedIn(await consumer.handle(requestHead('/', NAVIGATE, fresh.token)))
    assert.equal(jwks.fetches(), 2, 'one refetch on the unknown kid')
    assertSignedIn(await consumer.handle(requestHead('/', NAVIGATE, old.token)), 'alice')
    assertSignedIn(await consumer.handle(requestHead('/', NAVIGATE, fresh.token)))
    assert.equal(jwks.fetches(), 2, 'the refetched keys are cached')
  })

  it('a burst of 50 tokens with random unknown kids causes at most 1–2 JWKS fetches', async () => {
    const { token } = await login()
    const payload = payloadOf(token)
    const forged = await Promise.all(
      Array.from({ length: 50 }, () => signRaw(hub.ring.signer.key, ringHeader(hub.ring, { kid: randomBytes(9).toString('base64url') }), payload)),
    )
    let clock = Date.now()
    const jwks = countingJwks(() => hub.url, { now: () => clock })
    const consumer = consumerFor(hub, { keys: jwks })

    // Cold cache, all at once.
    const results = await Promise.all(forged.map((t) => consumer.handle(requestHead('/api', FETCH, t))))
    for (const result of results) await assertRefused401(result)
    assert.ok(jwks.fetches() >= 1 && jwks.fetches() <= 2, `cold burst made ${jwks.fetches()} fetches`)

    // Warm cache, later (the throttle has expired): the burst shares one refetch.
    clock += 60_000
    const warm = jwks.fetches()
    const again = await Promise.all(forged.map((t) => consumer.handle(requestHead('/api', FETCH, t))))
    for (const result of again) await assertRefused401(result)
    assert.ok(jwks.fetches() - warm <= 1, `warm burst made ${jwks.fetches() - warm} fetches`)

    // One after another right after: throttled, no fetch at all; the real token still works.
    const steady = jwks.fetches()
    for (const t of forged.slice(0, 20)) await assertRefused401(await consumer.handle(requestHead('/api', FETCH, t)))
    assert.equal(jwks.fetches(), steady)
    assertSignedIn(await consumer.handle(requestHead('/', NAVIGATE, token)))
  })

  it('hub down and no cached keys: the core throws ERR_JWKS_UNAVAILABLE (503); visitors without a token are unaffected', async () => {
    const { token } = await login()
    const port = await closedPort()
    const consumer = consumerFor(hub, { keys: createJwksClient({ url: `http://127.0.0.1:${port}/.well-known/jwks.json`, timeoutMs: 1000 }) })
    const err = await rejectsWith(() => consumer.handle(requestHead('/', NAVIGATE, token)), 'ERR_JWKS_UNAVAILABLE')
    assert.equal(err.status, 503)
    assert.match(err.message, /jwks\.json/)
    await rejectsWith(() => consumer.handle(requestHead('/api', FETCH, token)), 'ERR_JWKS_UNAVAILABLE')
    // No token: nothing to verify, so the hub being down changes nothing.
    assertRedirect(await consumer.handle(requestHead('/', NAVIGATE)), refreshUrl(hub, '/'))
  })

  it('hub answering 500 for its JWKS and no cached keys: also ERR_JWKS_UNAVAILABLE, not a 4xx', async () => {
    const { token } = await login()
    const consumer = consumerFor(hub, {
      keys: createJwksClient({ url: `${hub.url}/.well-known/jwks.json`, fetch: async () => new Response('oops', { status: 500 }) }),
    })
    await rejectsWith(() => consumer.handle(requestHead('/', NAVIGATE, token)), 'ERR_JWKS_UNAVAILABLE')
  })

  it('hub down with cached keys: tokens still verify, even after the cache is stale', async () => {
    const { token } = await login()
    let down = false
    let clock = Date.now()
    const jwks = countingJwks(() => hub.url, { now: () => clock, down: () => down })
    const consumer = consumerFor(hub, { keys: jwks })
    assertSignedIn(await consumer.handle(requestHead('/', NAVIGATE, token)))
    assert.equal(jwks.fetches(), 1)

    down = true
    assertSignedIn(await consumer.handle(requestHead('/', NAVIGATE, token)))
    clock += 10 * 60_000 // past maxAgeMs (5 min): the client tries the hub, fails, keeps the stale keys
    assertSignedIn(await consumer.handle(requestHead('/', NAVIGATE, token)))
    assert.equal(jwks.fetches(), 2)
    // An unknown kid while the hub is down is just an unknown kid: not signed in, not a 503.
    const stranger = await signRaw(hub.ring.signer.key, ringHeader(hub.ring, { kid: 'rotated-while-down' }), payloadOf(token))
    await assertRefused401(await consumer.handle(requestHead('/api', FETCH, stranger)))
  })

  it('hub down with stale cached keys: the hub is retried at most once per minRefreshMs, not on every request', async () => {
    const { token } = await login()
    let down = false
    let clock = Date.now()
    const jwks = countingJwks(() => hub.url, { now: () => clock, down: () => down })
    const consumer = consumerFor(hub, { keys: jwks })
    assertSignedIn(await consumer.handle(requestHead('/', NAVIGATE, token)))
    down = true
    clock += 10 * 60_000
    for (let i = 0; i < 20; i++) assertSignedIn(await consumer.handle(requestHead('/', FETCH, token)))
    assert.equal(jwks.fetches(), 2, 'one failed retry, then the stale keys are served without asking again')
    clock += 31_000
    down = false
    assertSignedIn(await consumer.handle(requestHead('/', FETCH, token)))
    assert.equal(jwks.fetches(), 3, 'retried after the throttle, and the hub is back')
    clock += 1000
    assertSignedIn(await consumer.handle(requestHead('/', FETCH, token)))
    assert.equal(jwks.fetches(), 3, 'fresh again: cached for maxAgeMs')
  })
})

describe('token consumer: the hub\'s /refresh, end to end', () => {
  /** Follow a Location on the hub's public origin, by IP, as the browser would, with its cookies. */
  function followToHub(at: TestHub, location: string, cookie: string): Promise<Response> {
    const url = new URL(location)
    assert.equal(url.origin, at.origin, 'the consumer sends the browser to the hub')
    return fetch(`${at.url}${url.pathname}${url.search}`, { redirect: 'manual', headers: { cookie, 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } })
  }

  it('with a hub session: straight back to the return URL with a fresh token cookie the consumer accepts', async () => {
    const { jar } = await login()
    const consumer = consumerFor(hub)
    const bounce = await consumer.handle(requestHead('/t/1?page=2', NAVIGATE))
    const location = bounce.response!.headers.get('location')!
    const hubCookie = [...jar.cookies].filter(([name]) => name !== TOKEN_COOKIE).map(([k, v]) => `${k}=${v}`).join('; ')

    const back = await followToHub(hub, location, hubCookie)
    assert.equal(back.status, 302)
    assert.equal(back.headers.get('location'), `${FORUM}/t/1?page=2`)
    const cookie = back.headers.getSetCookie().find((c) => c.startsWith(`${TOKEN_COOKIE}=`))
    assert.ok(cookie, 'a fresh token cookie')
    assert.match(cookie, /Domain=acme\.localhost/i)
    assert.match(cookie, /HttpOnly/i)
    assert.doesNotMatch(cookie, /Secure/i, 'plain http: not Secure, so WebKit keeps it')
    const fresh = new CookieJar().take(back).get(TOKEN_COOKIE)!
    assertSignedIn(await consumer.handle(requestHead('/t/1?page=2', NAVIGATE, fresh)))
  })

  it('an expired token comes back fresh through /refresh while the hub session lives', async () => {
    const { jar, token } = await login()
    const consumer = consumerFor(hub, { now: () => Date.now() + 20 * 60_000 }) // the 15-minute token has expired here
    const bounce = await consumer.handle(requestHead('/t/3', NAVIGATE, token))
    assertRedirect(bounce, refreshUrl(hub, '/t/3'))
    const back = await followToHub(hub, bounce.response!.headers.get('location')!, jar.header())
    assert.equal(back.status, 302)
    const fresh = new CookieJar().take(back).get(TOKEN_COOKIE)!
    assert.notEqual(fresh, token)
    // Still expired for a consumer whose clock is 20 min ahead of the hub; with the hub's clock it is valid.
    assertSignedIn(await consumerFor(hub).handle(requestHead('/t/3', NAVIGATE, fresh)))
  })

  it('without a hub session: on to /login with the same return URL', async () => {
    const bounce = await consumerFor(hub).handle(requestHead('/t/1?page=2', NAVIGATE))
    const toLogin = await followToHub(hub, bounce.response!.headers.get('location')!, '')
    assert.equal(toLogin.status, 302)
    const login = new URL(toLogin.headers.get('location')!, hub.origin)
    assert.equal(login.origin, hub.origin)
    assert.equal(login.pathname, '/login')
    assert.equal(login.searchParams.get('return'), `${FORUM}/t/1?page=2`)
    assert.deepEqual(toLogin.headers.getSetCookie().filter((c) => c.startsWith(`${TOKEN_COOKIE}=`)), [])
  })

  it('with optional=1 and no hub session: straight back with the token cookie cleared, and no second bounce', async () => {
    const expired = await signLoginToken(hub.ring, { issuer: hub.origin, audience: AUDIENCE, user: aliceUser('u_alice'), sid: 'c2lkLWdvbmU', now: Date.now() - 3600_000 })
    const consumer = consumerFor(hub, { requireLogin: false })
    const bounce = await consumer.handle(requestHead('/t/1', NAVIGATE, expired))
    assertRedirect(bounce, refreshUrl(hub, '/t/1', true))

    const back = await followToHub(hub, bounce.response!.headers.get('location')!, `${TOKEN_COOKIE}=${expired}`)
    assert.equal(back.status, 302)
    assert.equal(back.headers.get('location'), `${FORUM}/t/1`)
    const cleared = back.headers.getSetCookie().find((c) => c.startsWith(`${TOKEN_COOKIE}=`))
    assert.ok(cleared, 'the stale token cookie is cleared')
    assert.match(cleared, /^ss-token=;/)
    assert.match(cleared, /Max-Age=0/i)
    assert.match(cleared, /Domain=acme\.localhost/i)

    // The browser has no token now: a guest, not another redirect.
    const landing = await consumer.handle(requestHead('/t/1', NAVIGATE))
    assert.equal(landing.response, undefined)
    assert.deepEqual(landing.value, { claims: null, user: null })
  })

  it('the hub refuses to send the browser back to an origin that is not a configured site', async () => {
    const { jar } = await login()
    const response = await followToHub(hub, `${hub.origin}/refresh?return=${encodeURIComponent('http://evil.localhost/steal')}`, jar.header())
    assert.ok(response.status >= 400 && response.status < 500, `got ${response.status}`)
    assert.equal(response.headers.get('location'), null)
  })
})

describe('token consumer: options', () => {
  it('bad options fail at construction with a message saying what to fix', () => {
    assert.throws(() => createTokenConsumer({ hub: 'not a url', origin: FORUM, audience: AUDIENCE }), /hub/)
    assert.throws(() => createTokenConsumer({ hub: 'http://auth.acme.localhost', origin: `${FORUM}/path`, audience: AUDIENCE }), /origin/)
    assert.throws(() => createTokenConsumer({ hub: 'http://auth.acme.localhost', origin: FORUM, audience: '' }), /audience/)
  })

  it('property and hubBasePath shape what adapters see and where browsers go', async () => {
    const consumer = createTokenConsumer({ hub: hub.origin, hubBasePath: '/auth/', origin: FORUM, audience: AUDIENCE, property: 'forumUser', keys: hub.ring.verification, revocation: false })
    assert.equal(consumer.property, 'forumUser')
    const result = await consumer.handle(requestHead('/x', NAVIGATE))
    assert.equal(result.response?.headers.get('location'), `${hub.origin}/auth/refresh?return=${encodeURIComponent(`${FORUM}/x`)}`)
  })

  it('fixed keys work without any JWKS fetch', async () => {
    const { token } = await login()
    const consumer = createTokenConsumer({ hub: hub.origin, origin: FORUM, audience: AUDIENCE, keys: hub.ring.verification, revocation: false })
    assert.equal((await consumer.handle(requestHead('/', NAVIGATE, token))).value.claims?.username, 'alice')
  })
})
