// Token confirmation (issue 9, finding 1): any host under the parent domain
// can set the token cookie, so a token-only app trusts a token only after
// the hub, answering from its own host-only cookie, has vouched for that
// token's session in this browser. A "browser" here is three cookie jars
// (the hub's host, the forum's host, the parent domain) walked through the
// consumer core and the real hub over HTTP.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sidDigest } from '../../src/confirm/cookies.js'
import { signConfirmation } from '../../src/confirm/sign.js'
import { verifyConfirmation } from '../../src/confirm/verify.js'
import { createJwksClient } from '../../src/consumer/jwks-client.js'
import { createTokenConsumer, type TokenAuth, type TokenConsumerOptions } from '../../src/consumer/token-consumer.js'
import type { LoginClaims } from '../../src/tokens/claims.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { SubdomainBrowser as Browser, signedInBrowser } from '../helpers/subdomain-browser.js'
import { NAVIGATION_HEADERS, httpGet } from '../helpers/http.js'
import { rejectsWith } from '../helpers/keys.js'
import { AUDIENCE, BOUND_COOKIE, FETCH, FORUM, NAVIGATE, TOKEN_COOKIE, payloadOf } from './fixtures.js'

const MALLORY = { username: 'mallory', password: 'not-a-real-one' }
let hub: TestHub

before(async () => {
  hub = await startTestHub({ sites: [{ name: 'forum', origin: FORUM, member: false }] })
  await hub.users.add(MALLORY)
  consumer = consumerWith()
})
after(() => hub.close())


/** Where a walk of navigations ended: a forum page the app served (with who it saw), or an answer. */
interface Landing {
  at: string
  status: number
  auth?: TokenAuth<LoginClaims>
  body?: string
  hops: string[]
}

const consumerWith = (options: Partial<TokenConsumerOptions<LoginClaims>> = {}) =>
  createTokenConsumer<LoginClaims>({ hub: hub.origin, origin: FORUM, audience: AUDIENCE, keys: createJwksClient({ url: `${hub.url}/.well-known/jwks.json` }), log: () => {}, ...options })
let consumer: ReturnType<typeof consumerWith>

/** Navigate as a browser does, following redirects between the forum (the consumer core) and the hub (over HTTP). */
async function navigate(browser: Browser, start: string, core?: ReturnType<typeof consumerWith>): Promise<Landing> {
  core ??= consumer
  const hops: string[] = []
  let url = start
  for (let i = 0; i < 10; i++) {
    hops.push(url)
    let response: Response | undefined
    if (url.startsWith(FORUM)) {
      const result = await core.handle({ method: 'GET', url, headers: new Headers({ ...NAVIGATE, cookie: browser.cookie(browser.app) }) })
      if (!result.response) return { at: url, status: 200, auth: result.value, hops }
      response = result.response
      browser.take(browser.app, response)
    } else {
      const target = new URL(url)
      assert.equal(target.origin, hub.origin, `only the forum and the hub are visited, not ${url}`)
      response = await httpGet(`${hub.url}${target.pathname}${target.search}`, { ...NAVIGATION_HEADERS, cookie: browser.cookie(browser.hub) })
      browser.take(browser.hub, response)
    }
    const location = response.headers.get('location')
    if (response.status < 300 || response.status >= 400 || !location) return { at: url, status: response.status, body: await response.text(), hops }
    url = new URL(location, url).href
  }
  throw new Error(`more than 10 redirects: ${hops.join(' → ')}`)
}

const signedIn = (user: { username: string; password: string }): Promise<Browser> => signedInBrowser(hub, user, TOKEN_COOKIE)

const sidOf = (token: string) => payloadOf(token).sid as string

describe('token confirmation: a token-only app trusts a token only once the hub vouched for it in this browser', () => {
  it("a sibling host tosses mallory's token into a fresh browser: the forum never sees mallory, and the visitor is sent to sign in", async () => {
    const mallorysToken = (await signedIn(MALLORY)).parent.get(TOKEN_COOKIE)!
    const victim = new Browser()
    victim.parent.cookies.set(TOKEN_COOKIE, mallorysToken) // Set by evil.acme.localhost with Domain=acme.localhost.

    const landing = await navigate(victim, `${FORUM}/t/1`)
    assert.equal(new URL(landing.at).pathname, '/login', `the walk ends at the hub's sign-in: ${landing.hops.join(' → ')}`)
    assert.ok(landing.hops.some((hop) => hop.startsWith(`${hub.origin}/confirm?`)), 'the forum asked the hub first')
    assert.equal(victim.app.get(BOUND_COOKIE), `-.${sidDigest(sidOf(mallorysToken))}`, 'the hub vouched for no session; this token is recorded as refused')

    // Again: no new round trip for the same token, and still nobody.
    const again = await navigate(victim, `${FORUM}/t/1`)
    assert.equal(again.hops.some((hop) => hop.includes('/confirm')), false)
    assert.equal(again.auth?.claims ?? null, null)

    // The control: an app that trusts the parent domain (confirm: false) shows mallory here.
    const trusting = await navigate(new Browser(), `${FORUM}/t/1`, consumerWith({ confirm: false }))
    assert.equal(trusting.auth?.claims ?? null, null, 'sanity: a browser with no token is nobody')
    const fooled = new Browser()
    fooled.parent.cookies.set(TOKEN_COOKIE, mallorysToken)
    assert.equal((await navigate(fooled, `${FORUM}/t/1`, consumerWith({ confirm: false }))).auth?.claims?.username, 'mallory')
  })

  it("alice's own browser: one round trip through the hub, then signed in on every page without another", async () => {
    const alice = await signedIn(ALICE)
    const first = await navigate(alice, `${FORUM}/t/1?page=2`)
    assert.equal(first.auth?.claims?.username, 'alice')
    assert.equal(first.at, `${FORUM}/t/1?page=2`, 'back on the page asked for, query kept')
    assert.equal(first.hops.length, 4, `forum → hub /confirm → forum callback → forum page: ${first.hops.join(' → ')}`)
    assert.equal(alice.app.get('ss-confirm'), undefined, 'the state cookie is cleared')

    const next = await navigate(alice, `${FORUM}/t/2`)
    assert.equal(next.hops.length, 1)
    assert.equal(next.auth?.claims?.username, 'alice')
  })

  it('two tabs need confirming at once: they share one state, and both land signed in', async () => {
    const alice = await signedIn(ALICE)
    const open = async (path: string) => {
      const result = await consumer.handle({ method: 'GET', url: `${FORUM}${path}`, headers: new Headers({ ...NAVIGATE, cookie: alice.cookie(alice.app) }) })
      alice.take(alice.app, result.response!)
      return result.response!.headers.get('location')!
    }
    const [first, second] = [await open('/a'), await open('/b')] // the second tab leaves before the first comes back
    assert.equal(new URL(first).searchParams.get('state'), new URL(second).searchParams.get('state'))
    for (const [trip, path] of [[first, '/a'], [second, '/b']] as const) {
      const landing = await navigate(alice, trip)
      assert.equal(landing.at, `${FORUM}${path}`)
      assert.equal(landing.auth?.claims?.username, 'alice', `${path}: ${landing.hops.join(' → ')}`)
    }
  })

  it("a sibling overwrites alice's confirmed token with mallory's: refused, and the hub gives alice her own token back", async () => {
    const alice = await signedIn(ALICE)
    assert.equal((await navigate(alice, `${FORUM}/`)).auth?.claims?.username, 'alice')
    alice.parent.cookies.set(TOKEN_COOKIE, (await signedIn(MALLORY)).parent.get(TOKEN_COOKIE)!)

    const landing = await navigate(alice, `${FORUM}/t/9`)
    assert.equal(landing.auth?.claims?.username, 'alice', `never mallory: ${landing.hops.join(' → ')}`)
    assert.ok(landing.hops.some((hop) => hop.startsWith(`${hub.origin}/refresh?`)), 'the hub re-issued its own token')
  })

  it("the callback takes no other browser's answer (login CSRF): no state cookie, or another state, records nothing", async () => {
    const mallory = await signedIn(MALLORY)
    // Mallory's browser asks, and stops at the hub's answer: a callback URL carrying a confirmation of her session.
    const asked = await consumer.handle({ method: 'GET', url: `${FORUM}/`, headers: new Headers({ ...NAVIGATE, cookie: mallory.cookie(mallory.app) }) })
    mallory.take(mallory.app, asked.response!)
    const toHub = new URL(asked.response!.headers.get('location')!)
    const hubAnswer = await httpGet(`${hub.url}${toHub.pathname}${toHub.search}`, { ...NAVIGATION_HEADERS, cookie: mallory.cookie(mallory.hub) })
    const callback = hubAnswer.headers.get('location')!
    assert.match(callback, /^http:\/\/forum\.acme\.localhost:4001\/_session\/confirm\?return=%2F&ss-confirm=/)

    const victim = new Browser()
    victim.parent.cookies.set(TOKEN_COOKIE, mallory.parent.get(TOKEN_COOKIE)!)
    for (const [label, state, code] of [['no state cookie', undefined, 'ERR_CONFIRMATION_STATE'], ['its own state', 'AAAAAAAAAAAAAAAAAAAAAA', 'ERR_CONFIRMATION_INVALID']] as const) {
      const cookie = [victim.cookie(victim.app), state ? `ss-confirm=${state}` : ''].filter(Boolean).join('; ')
      const result = await consumer.handle({ method: 'GET', url: callback, headers: new Headers({ ...NAVIGATE, cookie }) })
      assert.equal(result.response?.status, 400, label)
      assert.match(await result.response!.text(), new RegExp(code), label)
      assert.equal(result.response!.headers.getSetCookie().some((c) => c.startsWith(`${BOUND_COOKIE}=`)), false, `${label}: nothing recorded`)
    }
  })

  it('an API call with a token not yet confirmed: 401 ERR_TOKEN_UNCONFIRMED, never a redirect; with requireLogin false, a guest', async () => {
    const alice = await signedIn(ALICE)
    const headers = new Headers({ ...FETCH, cookie: alice.cookie(alice.app) })
    const api = await consumer.handle({ method: 'GET', url: `${FORUM}/api/me`, headers })
    assert.equal(api.response?.status, 401)
    assert.deepEqual(await api.response!.json(), { error: 'ERR_TOKEN_UNCONFIRMED' })
    const guest = await consumerWith({ requireLogin: false }).handle({ method: 'GET', url: `${FORUM}/api/me`, headers })
    assert.equal(guest.response, undefined)
    assert.equal(guest.value.claims, null)
  })
})

describe("the hub's /confirm", () => {
  const callback = encodeURIComponent(`${FORUM}/_session/confirm?return=%2F`)
  const ask = (query: string, headers: Record<string, string> = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }) =>
    httpGet(`${hub.url}/confirm?${query}`, { accept: 'application/json', ...headers })

  it('answers top-level navigations only, to configured sites only, with a well-formed state only', async () => {
    const cases: [string, Response, string][] = [
      ['a fetch()', await ask(`return=${callback}&state=AAAAAAAAAAAAAAAAAAAAAA`, { 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }), 'ERR_TRANSPORT'],
      ['another origin', await ask(`return=${encodeURIComponent('http://evil.localhost/cb')}&state=AAAAAAAAAAAAAAAAAAAAAA`), 'ERR_RETURN_URL'],
      ['no return', await ask('state=AAAAAAAAAAAAAAAAAAAAAA'), 'ERR_RETURN_URL'],
      ['a short state', await ask(`return=${callback}&state=abc`), 'ERR_CONFIRMATION_STATE'],
    ]
    for (const [label, response, code] of cases) {
      assert.equal(response.status, 400, label)
      assert.equal(response.headers.get('location'), null, label)
      assert.match(await response.text(), new RegExp(code), label) // an HTML page for a navigation, JSON for the fetch()
    }
  })

  it('answers from its own cookie: a browser holding only a (tossed) token gets a confirmation without a session', async () => {
    const mallory = await signedIn(MALLORY)
    const response = await ask(`return=${callback}&state=BBBBBBBBBBBBBBBBBBBBBB`, { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', cookie: `${TOKEN_COOKIE}=${mallory.parent.get(TOKEN_COOKIE)}` })
    assert.equal(response.status, 302)
    const jwt = new URL(response.headers.get('location')!).searchParams.get('ss-confirm')!
    const claims = await verifyConfirmation(hub.ring.verification, jwt, { issuer: hub.origin, audience: FORUM, nonce: 'BBBBBBBBBBBBBBBBBBBBBB', now: Date.now() })
    assert.equal(claims.sid, undefined)
  })
})

describe('verifyConfirmation refuses what is not a confirmation for this app and this browser', () => {
  const base = { issuer: 'http://auth.acme.localhost', audience: FORUM, nonce: 'n'.repeat(22) }

  it('another audience, another nonce, an expired answer, a login token', async () => {
    const now = Date.now()
    const good = await signConfirmation(hub.ring, { ...base, sid: 's1', now })
    assert.equal((await verifyConfirmation(hub.ring.verification, good, { ...base, now })).sid, 's1')
    await rejectsWith(() => verifyConfirmation(hub.ring.verification, good, { ...base, audience: 'http://shop.localhost', now }), 'ERR_CONFIRMATION_INVALID')
    await rejectsWith(() => verifyConfirmation(hub.ring.verification, good, { ...base, nonce: 'm'.repeat(22), now }), 'ERR_CONFIRMATION_INVALID')
    await rejectsWith(() => verifyConfirmation(hub.ring.verification, good, { ...base, now: now + 5 * 60_000 }), 'ERR_CONFIRMATION_INVALID')
    const loginToken = (await signedIn(ALICE)).parent.get(TOKEN_COOKIE)!
    await rejectsWith(() => verifyConfirmation(hub.ring.verification, loginToken, { ...base, issuer: hub.origin, audience: AUDIENCE, now }), 'ERR_CONFIRMATION_INVALID')
    await rejectsWith(() => verifyConfirmation(hub.ring.verification, 'not.a.jwt', { ...base, now }), 'ERR_CONFIRMATION_INVALID')
  })
})
