// A browser for the forward-auth tests: host-only cookies of the hub and of
// the protected site, and the parent domain's (the token), walked through a
// real proxy and the real hub with top-level navigations.
import assert from 'node:assert/strict'
import type { IncomingHttpHeaders } from 'node:http'
import { test } from 'node:test'
import { decodeJwt } from 'jose'
import { confirmCookies, sidDigest } from '../../src/confirm/cookies.js'
import { marksCookiesSecure } from '../../src/sites/site-cookies.js'
import { tokenCookieName } from '../../src/tokens/cookie-name.js'
import { ALICE, type TestHub } from '../helpers/hub.js'
import { CookieJar, NAVIGATION_HEADERS, httpGet, loginOverHttp } from '../helpers/http.js'

export class Browser {
  readonly hub = new CookieJar()
  readonly site = new CookieJar()
  readonly parent = new CookieJar()

  /** Keep a response's cookies where a browser would: `Domain=` ones for the parent domain, the rest for the host. */
  take(host: CookieJar, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      if (/^(__Host-)?ss-(bound|confirm)=/.test(line)) assert.doesNotMatch(line, /;\s*domain=/i, 'the confirmation cookies are host-only')
      const into = /;\s*domain=/i.test(line) ? this.parent : host
      into.take(new Response(null, { headers: [['set-cookie', line]] }))
    }
  }

  cookie(host: CookieJar): string {
    return [host.header(), this.parent.header()].filter(Boolean).join('; ')
  }
}

/** Where a walk of navigations ended, and every URL on the way. */
export interface Landing {
  at: string
  status: number
  body: string
  hops: string[]
}

/** The hub's cookie names on its (plain http) test origin. */
export function cookieNames(hub: TestHub): { token: string; bound: string; state: string } {
  const secure = marksCookiesSecure(hub.origin)
  const confirm = confirmCookies(secure)
  return { token: tokenCookieName(secure), bound: confirm.bound.name, state: confirm.state.name }
}

/** The site's binding cookie of a browser in which the hub has confirmed this token's session. */
export function bound(hub: TestHub, token: string): string {
  return `${cookieNames(hub).bound}=${sidDigest(decodeJwt(token).sid as string)}.-`
}

/** A browser signed in at the hub: its host-only cookies and the parent-domain token. */
export async function signedIn(hub: TestHub, user: { username: string; password: string }): Promise<Browser> {
  const browser = new Browser()
  const jar = new CookieJar()
  assert.equal((await loginOverHttp(hub, jar, user)).status, 303)
  const token = cookieNames(hub).token
  for (const [name, value] of jar.cookies) (name === token ? browser.parent : browser.hub).cookies.set(name, value)
  return browser
}

/**
 * Navigate as a browser does, following redirects between the site (through
 * the proxy listening on `proxyPort`) and the hub (over HTTP).
 */
export async function navigate(browser: Browser, start: string, at: { hub: TestHub; siteOrigin: string; proxyPort: number }): Promise<Landing> {
  const hops: string[] = []
  let url = start
  for (let i = 0; i < 12; i++) {
    hops.push(url)
    const target = new URL(url)
    let response: Response
    if (target.origin === at.siteOrigin) {
      response = await httpGet(`http://127.0.0.1:${at.proxyPort}${target.pathname}${target.search}`, { ...NAVIGATION_HEADERS, host: target.host, cookie: browser.cookie(browser.site) })
      browser.take(browser.site, response)
    } else {
      assert.equal(target.origin, at.hub.origin, `only the site and the hub are visited, not ${url}`)
      response = await httpGet(`${at.hub.url}${target.pathname}${target.search}`, { ...NAVIGATION_HEADERS, cookie: browser.cookie(browser.hub) })
      browser.take(browser.hub, response)
    }
    const location = response.headers.get('location')
    if (response.status < 300 || response.status >= 400 || !location) return { at: url, status: response.status, body: await response.text(), hops }
    url = new URL(location, url).href
  }
  throw new Error(`more than 12 redirects: ${hops.join(' → ')}`)
}

export const MALLORY = { username: 'mallory', password: 'mallory-password-1' }

/** What the confirmation scenarios need of a running proxy test. */
export interface ProxySetup {
  hub: TestHub
  siteOrigin: string
  proxyPort: number
  /** What the protected app received. */
  seen: Array<{ url: string; headers: IncomingHttpHeaders }>
}

/**
 * The token confirmation scenarios, run against a real proxy configured
 * from the shipped example (issue 9, finding 1). `setup` is read when each
 * test runs (after the suite's `before`). The hub must know MALLORY.
 */
export function confirmationTests(setup: () => ProxySetup): void {
  const sidOf = (token: string) => decodeJwt(token).sid as string

  test("a sibling host tosses mallory's token into a fresh browser: the app never sees mallory, and the walk ends at the hub's sign-in", async () => {
    const { hub, siteOrigin, seen } = setup()
    const names = cookieNames(hub)
    const mallorysToken = (await signedIn(hub, MALLORY)).parent.get(names.token)!
    // The token verifies: only the confirmation stands between it and the app.
    const bearer = await fetch(`${hub.url}/forward-auth`, { headers: { authorization: `Bearer ${mallorysToken}` } })
    assert.equal(bearer.headers.get('x-auth-user'), 'mallory')

    const victim = new Browser()
    victim.parent.cookies.set(names.token, mallorysToken) // Set by evil.acme.localhost with Domain=acme.localhost.
    seen.length = 0
    const landing = await navigate(victim, `${siteOrigin}/wiki/page?x=1&y=2`, setup())
    const end = new URL(landing.at)
    assert.equal(end.origin + end.pathname, `${hub.origin}/login`, `the walk ends at the hub's sign-in: ${landing.hops.join(' → ')}`)
    assert.equal(end.searchParams.get('return'), `${siteOrigin}/wiki/page?x=1&y=2`)
    assert.ok(landing.hops.some((hop) => hop.startsWith(`${hub.origin}/confirm?`)), 'the hub was asked first')
    assert.ok(landing.hops.some((hop) => hop.startsWith(`${siteOrigin}/_session/confirm?`)), 'and answered to the site')
    assert.equal(victim.site.get(names.bound), `-.${sidDigest(sidOf(mallorysToken))}`, 'no session vouched for; this token recorded as refused')
    assert.equal(seen.length, 0, 'the app saw no request, so never mallory')

    // Again: no new round trip for the same token, and still nobody.
    const again = await navigate(victim, `${siteOrigin}/wiki/page`, setup())
    assert.equal(again.hops.some((hop) => hop.includes('confirm')), false, again.hops.join(' → '))
    assert.equal(new URL(again.at).pathname, '/login')
    assert.equal(seen.length, 0)
  })

  test('alice: one round trip (app → hub /confirm → app /_session/confirm → app page), then straight through', async () => {
    const { hub, siteOrigin, seen } = setup()
    const alice = await signedIn(hub, ALICE)
    seen.length = 0
    const first = await navigate(alice, `${siteOrigin}/wiki/page?x=1&y=2`, setup())
    assert.equal(first.status, 200, `${first.hops.join(' → ')}: ${first.body.slice(0, 200)}`)
    assert.equal(first.body, 'hello alice')
    assert.deepEqual(
      first.hops.map((hop) => new URL(hop).origin + new URL(hop).pathname),
      [`${siteOrigin}/wiki/page`, `${hub.origin}/confirm`, `${siteOrigin}/_session/confirm`, `${siteOrigin}/wiki/page`],
    )
    assert.equal(first.hops.at(-1), `${siteOrigin}/wiki/page?x=1&y=2`, 'back to the very page, query and all')
    assert.deepEqual(seen.map((s) => [s.url, s.headers['x-auth-user']]), [['/wiki/page?x=1&y=2', 'alice']])

    const next = await navigate(alice, `${siteOrigin}/wiki/other`, setup())
    assert.deepEqual(next.hops, [`${siteOrigin}/wiki/other`], 'no second round trip')
    assert.equal(next.body, 'hello alice')
  })

  test("mallory's token tossed over alice's own: refused, and the hub's /refresh puts alice's back", async () => {
    const { hub, siteOrigin, seen } = setup()
    const names = cookieNames(hub)
    const alice = await signedIn(hub, ALICE)
    assert.equal((await navigate(alice, `${siteOrigin}/wiki/page`, setup())).body, 'hello alice')
    const mallorysToken = (await signedIn(hub, MALLORY)).parent.get(names.token)!
    alice.parent.cookies.set(names.token, mallorysToken)
    seen.length = 0
    const landing = await navigate(alice, `${siteOrigin}/wiki/page`, setup())
    assert.equal(landing.body, 'hello alice', landing.hops.join(' → '))
    assert.ok(landing.hops.some((hop) => hop.startsWith(`${hub.origin}/refresh?`)), 'the hub re-issued her own token')
    assert.ok(seen.every((s) => s.headers['x-auth-user'] === 'alice'), 'never mallory')
    assert.equal(sidOf(alice.parent.get(names.token)!) === sidOf(mallorysToken), false)
  })

  test('two token cookies (a sibling set one with another Path): an error page, never a loop through /refresh', async () => {
    const { hub, siteOrigin, proxyPort, seen } = setup()
    const names = cookieNames(hub)
    const alice = await signedIn(hub, ALICE)
    const own = alice.parent.get(names.token)!
    const mallorys = (await signedIn(hub, MALLORY)).parent.get(names.token)!
    seen.length = 0
    const cookie = `${names.token}=${mallorys}; ${names.token}=${own}; ${bound(hub, own)}`
    const answer = await httpGet(`http://127.0.0.1:${proxyPort}/wiki/page`, { ...NAVIGATION_HEADERS, host: new URL(siteOrigin).host, cookie })
    assert.equal(answer.status, 401)
    assert.equal(answer.headers.get('location'), null)
    assert.match(await answer.text(), /ERR_COOKIE_DUPLICATE/)
    assert.equal(seen.length, 0)
  })

  test("the callback without this browser's state cookie (another browser's link): a 400 page, nothing recorded", async () => {
    const { hub, siteOrigin } = setup()
    const names = cookieNames(hub)
    const alice = await signedIn(hub, ALICE)
    // Alice's own answer, lifted from her round trip at the hub, is useless in another browser.
    const ask = await httpGet(`${hub.url}/confirm?return=${encodeURIComponent(`${siteOrigin}/_session/confirm?return=%2F`)}&state=${'s'.repeat(22)}`, { ...NAVIGATION_HEADERS, cookie: alice.cookie(alice.hub) })
    assert.equal(ask.status, 302)
    const other = new Browser()
    other.parent.cookies.set(names.token, alice.parent.get(names.token)!)
    const landing = await navigate(other, ask.headers.get('location')!, setup())
    assert.equal(landing.status, 400)
    assert.match(landing.body, /ERR_CONFIRMATION_STATE/)
    assert.equal(other.site.get(names.bound), undefined)
    // With a state cookie of its own, the answer is still for another state: refused.
    other.site.cookies.set(names.state, 't'.repeat(22))
    const forged = await navigate(other, ask.headers.get('location')!, setup())
    assert.equal(forged.status, 400)
    assert.match(forged.body, /ERR_CONFIRMATION_INVALID/)
    assert.equal(other.site.get(names.bound), undefined)
  })
}
