// The hub's side of token confirmation for forward-auth (issue 9, finding 1),
// asked directly as a proxy would ask it: what nginx, Caddy and Traefik do
// with these answers is in nginx.test.ts and caddy.test.ts.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { decodeJwt } from 'jose'
import { sidDigest } from '../../src/confirm/cookies.js'
import { signConfirmation } from '../../src/confirm/sign.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { CookieJar, NAVIGATION_HEADERS, httpGet, loginOverHttp } from '../helpers/http.js'
import { cookieNames } from './confirmation.js'

const WIKI = 'http://wiki.acme.localhost:4005'
const OTHER = 'http://blog.acme.localhost:4006'
const FROM_WIKI = { 'x-forwarded-proto': 'http', 'x-forwarded-host': new URL(WIKI).host, 'x-forwarded-uri': '/page?x=1&y=2' }

describe('forward-auth trusts a token cookie only once the hub vouched for it in this browser', () => {
  let hub: TestHub
  let trusting: TestHub
  let token: string
  let names: ReturnType<typeof cookieNames>
  const sites = [{ name: 'wiki', origin: WIKI, member: false }, { name: 'blog', origin: OTHER, member: false }]

  before(async () => {
    hub = await startTestHub({ sites })
    trusting = await startTestHub({ sites, confirmTokens: false })
    names = cookieNames(hub)
    const jar = new CookieJar()
    assert.equal((await loginOverHttp(hub, jar, ALICE)).status, 303)
    token = jar.get(names.token)!
  })
  after(async () => {
    await hub.close()
    await trusting.close()
  })

  const digest = () => sidDigest(decodeJwt(token).sid as string)
  const ask = (at: TestHub, headers: Record<string, string>, query = '') => httpGet(`${at.url}/forward-auth${query}`, headers)

  test('a token cookie alone is 401 ERR_TOKEN_UNCONFIRMED (confirmTokens: false, the old way, lets it in); a bearer token needs no binding', async () => {
    const alone = await ask(hub, { cookie: `${names.token}=${token}` })
    assert.equal(alone.status, 401)
    assert.equal(((await alone.json()) as { error: string }).error, 'ERR_TOKEN_UNCONFIRMED')
    assert.equal(alone.headers.get('x-auth-user'), null)
    const jar = new CookieJar()
    assert.equal((await loginOverHttp(trusting, jar, ALICE)).status, 303)
    assert.equal((await ask(trusting, { cookie: `${names.token}=${jar.get(names.token)}` })).headers.get('x-auth-user'), 'alice')
    assert.equal((await ask(hub, { authorization: `Bearer ${token}` })).headers.get('x-auth-user'), 'alice')
    assert.equal((await ask(hub, { cookie: `${names.token}=${token}; ${names.bound}=${digest()}.-` })).headers.get('x-auth-user'), 'alice')
  })

  test('a token the hub refused in this browser: 401, and in redirect mode the hub\'s /refresh (never a new round trip)', async () => {
    const cookie = `${names.token}=${token}; ${names.bound}=-.${digest()}`
    const plain = await ask(hub, { cookie })
    assert.equal(plain.status, 401)
    const page = await ask(hub, { cookie, ...NAVIGATION_HEADERS, ...FROM_WIKI }, '?redirect=1')
    assert.equal(page.status, 302)
    assert.equal(page.headers.get('location'), `${hub.origin}/refresh?return=${encodeURIComponent(`${WIKI}/page?x=1&y=2`)}`)
    assert.deepEqual(page.headers.getSetCookie(), [])
  })

  test('redirect mode, unconfirmed: a page goes to the hub\'s /confirm with a host-only state cookie for the site\'s callback', async () => {
    const answer = await ask(hub, { cookie: `${names.token}=${token}`, ...NAVIGATION_HEADERS, ...FROM_WIKI }, '?redirect=1')
    assert.equal(answer.status, 302)
    const location = new URL(answer.headers.get('location')!)
    assert.equal(location.origin + location.pathname, `${hub.origin}/confirm`)
    assert.equal(location.searchParams.get('return'), `${WIKI}/_session/confirm?return=${encodeURIComponent('/page?x=1&y=2')}`)
    const [state] = answer.headers.getSetCookie()
    assert.match(state!, new RegExp(`^${names.state}=${location.searchParams.get('state')};`))
    assert.doesNotMatch(state!, /domain=/i)
  })

  test('redirect mode, a second tab while a round trip is in flight: the same state, no new state cookie', async () => {
    const inFlight = 's'.repeat(22)
    const answer = await ask(hub, { cookie: `${names.token}=${token}; ${names.state}=${inFlight}`, ...NAVIGATION_HEADERS, ...FROM_WIKI }, '?redirect=1')
    assert.equal(answer.status, 302)
    assert.equal(new URL(answer.headers.get('location')!).searchParams.get('state'), inFlight)
    assert.deepEqual(answer.headers.getSetCookie(), [])
  })

  test('redirect mode, unconfirmed, but no round trip may start: a 401, never a redirect', async () => {
    const cookie = `${names.token}=${token}`
    const cases: Array<[string, Record<string, string>]> = [
      ['a fetch()', { cookie, 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', ...FROM_WIKI }],
      ['a form POST (Traefik and Caddy ask with GET and name the method)', { cookie, ...NAVIGATION_HEADERS, ...FROM_WIKI, 'x-forwarded-method': 'POST' }],
      ['a host that is not a configured site', { cookie, ...NAVIGATION_HEADERS, ...FROM_WIKI, 'x-forwarded-host': 'evil.acme.localhost' }],
      ['the hub itself', { cookie, ...NAVIGATION_HEADERS, ...FROM_WIKI, 'x-forwarded-host': new URL(hub.origin).host }],
    ]
    for (const [what, headers] of cases) {
      const answer = await ask(hub, headers, '?redirect=1')
      assert.equal(answer.status, 401, what)
      assert.equal(answer.headers.get('location'), null, what)
      assert.match(await answer.text(), /ERR_TOKEN_UNCONFIRMED/, what)
    }
  })

  describe('GET /forward-auth/confirm (the site\'s /_session/confirm, mapped by the proxy)', () => {
    const state = 'S'.repeat(22)
    const answerFor = (audience: string, sid: string | null) => signConfirmation(hub.ring, { issuer: hub.origin, audience, nonce: state, sid, now: Date.now() })
    const callback = (jwt: string, headers: Record<string, string>, back = '/page?x=1') =>
      httpGet(`${hub.url}/forward-auth/confirm?return=${encodeURIComponent(back)}&ss-confirm=${jwt}`, { ...NAVIGATION_HEADERS, cookie: `${names.token}=${token}; ${names.state}=${state}`, ...headers })

    test('records the hub\'s answer for the token the request carries, host-only, and goes back to a path on the site', async () => {
      const answer = await callback(await answerFor(WIKI, decodeJwt(token).sid as string), FROM_WIKI)
      assert.equal(answer.status, 302)
      assert.equal(answer.headers.get('location'), '/page?x=1')
      const [binding, cleared] = answer.headers.getSetCookie()
      assert.match(binding!, new RegExp(`^${names.bound}=${digest()}\\.${digest()};`))
      assert.doesNotMatch(binding!, /domain=/i)
      assert.match(cleared!, new RegExp(`^${names.state}=;`))
      const offsite = await callback(await answerFor(WIKI, null), FROM_WIKI, '//evil.example/')
      assert.equal(offsite.headers.get('location'), '/')
    })

    test('refuses an answer for another site, a callback on no configured site, and a browser without the state', async () => {
      const forBlog = await callback(await answerFor(OTHER, decodeJwt(token).sid as string), FROM_WIKI)
      assert.equal(forBlog.status, 400)
      assert.match(await forBlog.text(), /ERR_CONFIRMATION_INVALID/)
      for (const host of ['evil.acme.localhost', new URL(hub.origin).host]) {
        const elsewhere = await callback(await answerFor(WIKI, null), { ...FROM_WIKI, 'x-forwarded-host': host })
        assert.equal(elsewhere.status, 400, host)
        assert.match(await elsewhere.text(), /ERR_RETURN_URL/)
      }
      const noState = await httpGet(`${hub.url}/forward-auth/confirm?return=%2F&ss-confirm=${await answerFor(WIKI, null)}`, { ...NAVIGATION_HEADERS, ...FROM_WIKI })
      assert.equal(noState.status, 400)
      assert.match(await noState.text(), /ERR_CONFIRMATION_STATE/)
      for (const response of [forBlog, noState]) assert.deepEqual(response.headers.getSetCookie(), [])
    })
  })
})
