import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { sidDigest } from '../../src/confirm/cookies.js'
import { tokenCookieName } from '../../src/tokens/cookie-name.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { SubdomainBrowser as Browser, signedInBrowser } from '../helpers/subdomain-browser.js'
import { NAVIGATION_HEADERS, httpGet } from '../helpers/http.js'
import { assertPythonReady, BOUND_COOKIE, freePort, GENEROUS_RATE_LIMIT, startFlaskApp, type FlaskApp } from './flask-app.js'

// Token confirmation (issue 9, finding 1) in the Python package, end to end:
// examples/python-flask as a real process and the real hub over HTTP. Any
// host under the parent domain can set the token cookie; the Flask app trusts
// a token only once the hub, answering from its own host-only session
// cookie, has vouched for that token's session in this browser. A "browser"
// is three cookie jars (the hub's host, the wiki's host, the parent domain)
// walked through top-level navigations (node:http: Node's fetch always says
// Sec-Fetch-Mode: cors).

const TOKEN_COOKIE = tokenCookieName(false)
const MALLORY = { username: 'mallory', password: 'not-a-real-one' }


interface Landing {
  at: string
  status: number
  body: string
  hops: string[]
}

describe('Flask example: a token is trusted only once the real hub confirmed it in this browser', () => {
  let hub: TestHub
  let wiki: FlaskApp
  let dir: string
  const origin = (): string => `http://wiki.acme.localhost:${wiki.port}`

  before(async () => {
    assertPythonReady()
    dir = mkdtempSync(join(tmpdir(), 'ss-flask-confirm-'))
    const port = await freePort()
    hub = await startTestHub({ sites: [{ name: 'wiki', origin: `http://wiki.acme.localhost:${port}`, member: false }], ...GENEROUS_RATE_LIMIT })
    await hub.users.add(MALLORY)
    wiki = await startFlaskApp(port, {
      HUB_ORIGIN: hub.origin,
      JWKS_URL: `${hub.url}/.well-known/jwks.json`,
      FORWARD_AUTH_URL: `${hub.url}/forward-auth`,
      AUDIENCE: 'acme.localhost',
      APP_ORIGIN: `http://wiki.acme.localhost:${port}`,
      DATABASE: join(dir, 'wiki.sqlite'),
    })
  })

  after(async () => {
    await wiki?.stop()
    await hub?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const signedIn = (user: { username: string; password: string }): Promise<Browser> => signedInBrowser(hub, user, TOKEN_COOKIE)

  /** Navigate as a browser does, following redirects between the wiki and the hub (each over HTTP, by address). */
  async function navigate(browser: Browser, start: string): Promise<Landing> {
    const hops: string[] = []
    let url = start
    for (let i = 0; i < 10; i++) {
      hops.push(url)
      const target = new URL(url)
      const onWiki = target.origin === origin()
      assert.ok(onWiki || target.origin === hub.origin, `only the wiki and the hub are visited, not ${url}`)
      const jar = onWiki ? browser.app : browser.hub
      const response = await httpGet(`${onWiki ? wiki.url : hub.url}${target.pathname}${target.search}`, { ...NAVIGATION_HEADERS, cookie: browser.cookie(jar) })
      browser.take(jar, response)
      const location = response.headers.get('location')
      if (response.status < 300 || response.status >= 400 || !location) return { at: url, status: response.status, body: await response.text(), hops }
      url = new URL(location, url).href
    }
    throw new Error(`more than 10 redirects: ${hops.join(' → ')}`)
  }

  /** What the wiki's API says of this browser (a fetch(): never a round trip). */
  async function me(browser: Browser): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${wiki.url}/api/me`, { headers: { cookie: browser.cookie(browser.app) } })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  test("a sibling host tosses mallory's token into a fresh browser: the wiki never signs the visitor in as mallory", async () => {
    const mallorysToken = (await signedIn(MALLORY)).parent.get(TOKEN_COOKIE)!
    const victim = new Browser()
    victim.parent.cookies.set(TOKEN_COOKIE, mallorysToken) // set by evil.acme.localhost with Domain=acme.localhost
    assert.deepEqual(await me(victim), { status: 401, body: { error: 'ERR_TOKEN_UNCONFIRMED' } }, 'an API call is never signed in by a token alone')

    const landing = await navigate(victim, `${origin()}/?page=2`)
    assert.ok(landing.hops[1]!.startsWith(`${hub.origin}/confirm?`), `the wiki asked the hub first: ${landing.hops.join(' → ')}`)
    assert.equal(new URL(landing.at).origin, hub.origin, `the visitor ends at the hub's sign-in: ${landing.hops.join(' → ')}`)
    assert.doesNotMatch(landing.body, /mallory/i)
    assert.equal(victim.app.get(BOUND_COOKIE), `-.${sidDigest(decodeJwt(mallorysToken).sid as string)}`, 'the hub vouched for none: this token is refused here')
    assert.deepEqual(await me(victim), { status: 401, body: { error: 'ERR_NOT_AUTHENTICATED' } })

    const again = await navigate(victim, `${origin()}/`)
    assert.equal(again.hops.some((hop) => hop.includes('/confirm')), false, `the same token never asks twice: ${again.hops.join(' → ')}`)
    assert.doesNotMatch(again.body, /mallory/i)
  })

  test('alice, signed in at the hub: one round trip, then signed in on every page and the API without another', async () => {
    const alice = await signedIn(ALICE)
    const first = await navigate(alice, `${origin()}/?page=2`)
    assert.equal(first.status, 200, `${first.hops.join(' → ')}\n${first.body}`)
    assert.equal(first.hops.length, 4, `wiki → hub /confirm → wiki callback → wiki page: ${first.hops.join(' → ')}`)
    assert.ok(first.hops[2]!.startsWith(`${origin()}/_session/confirm?return=%2F%3Fpage%3D2&ss-confirm=`), first.hops[2])
    assert.equal(first.at, `${origin()}/?page=2`, 'back on the page asked for, query kept')
    assert.match(first.body, new RegExp(`Hello, ${ALICE.name}`))
    assert.equal(alice.app.get('ss-confirm'), undefined, 'the state cookie is cleared')

    const next = await navigate(alice, `${origin()}/`)
    assert.equal(next.hops.length, 1)
    assert.match(next.body, new RegExp(`Hello, ${ALICE.name}`))
    assert.equal((await me(alice)).body.username, 'alice')
  })

  test("the callback takes no other browser's answer: without this browser's state cookie it is a 400 page and records nothing", async () => {
    const mallory = await signedIn(MALLORY)
    const asked = await httpGet(`${wiki.url}/`, { ...NAVIGATION_HEADERS, cookie: mallory.cookie(mallory.app) })
    assert.equal(asked.status, 302)
    const toHub = new URL(asked.headers.get('location')!)
    const answer = await httpGet(`${hub.url}${toHub.pathname}${toHub.search}`, { ...NAVIGATION_HEADERS, cookie: mallory.cookie(mallory.hub) })
    const callback = new URL(answer.headers.get('location')!)
    assert.equal(callback.origin, origin())

    const victim = new Browser()
    victim.parent.cookies.set(TOKEN_COOKIE, mallory.parent.get(TOKEN_COOKIE)!)
    const stolen = await httpGet(`${wiki.url}${callback.pathname}${callback.search}`, { ...NAVIGATION_HEADERS, cookie: victim.cookie(victim.app) })
    assert.equal(stolen.status, 400)
    assert.match(await stolen.text(), /Cannot confirm your sign-in[\s\S]*ERR_CONFIRMATION_STATE/)
    assert.equal(stolen.headers.getSetCookie().some((c) => c.startsWith(`${BOUND_COOKIE}=`)), false, 'nothing recorded')
    victim.take(victim.app, stolen)
    assert.deepEqual(await me(victim), { status: 401, body: { error: 'ERR_TOKEN_UNCONFIRMED' } })
  })
})
