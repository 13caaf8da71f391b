import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import type { Page } from 'playwright-core'
import type { SiteConfig } from '../../src/sites/config.js'
import { tokenCookieName } from '../../src/tokens/cookie-name.js'
import { openBrowser } from '../helpers/browser.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { assertPythonReady, freePort, GENEROUS_RATE_LIMIT, startFlaskApp, type FlaskApp } from './flask-app.js'
import { waitUntil } from '../helpers/browser-driver.js'
import { listenOnFreePort } from '../helpers/listen.js'
import { createMember } from '../../src/member/create-member.js'
import { demoSiteApp } from '../../src/demo/site-app.js'
import type { DemoSite } from '../../src/demo/page.js'

// In Chromium: alice signs in to the Flask example through the hub, then her
// session is ended elsewhere ("sign out everywhere" from another device) and
// the hub's back-channel logout reaches the app. This browser still holds
// its token cookie, and the app checks no revocation with the hub: only the
// hub's back-channel logout (to the site's backchannelLogoutUri) can stop it
// from showing alice.

/** The wiki's site at the hub: token-only; the hub posts its logout tokens there by address (Node does not resolve *.localhost). */
function wikiSite(port: number): SiteConfig {
  return { name: 'wiki', origin: `http://wiki.acme.localhost:${port}`, member: false, backchannelLogoutUri: `http://127.0.0.1:${port}/auth/backchannel-logout` }
}

/** The Flask example as the wiki, with no revocation check: only the hub's back-channel logout can end its view of a session. */
function startWiki(port: number, hub: TestHub, dir: string): Promise<FlaskApp> {
  return startFlaskApp(port, {
    HUB_ORIGIN: hub.origin,
    JWKS_URL: `${hub.url}/.well-known/jwks.json`,
    AUDIENCE: 'acme.localhost',
    CLIENT_ID: 'wiki',
    REVOCATION: 'off',
    APP_ORIGIN: `http://wiki.acme.localhost:${port}`,
    DATABASE: join(dir, 'wiki.sqlite'),
  })
}

/** Open `url` on the wiki, sign in as alice at the hub's form it sends the browser to, and land back on `url`. */
async function signInFrom(page: Page, url: string, hub: TestHub): Promise<void> {
  await page.goto(url)
  await page.waitForURL(`${hub.origin}/login**`)
  await page.getByLabel('Username').fill(ALICE.username)
  await page.getByLabel('Password').fill(ALICE.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(url)
}

describe('Chromium: a back-channel logout reaches the Flask app (the shared_session package)', () => {
  let hub: TestHub
  let wiki: FlaskApp
  let dir: string
  const origin = (): string => `http://wiki.acme.localhost:${wiki.port}`

  before(async () => {
    assertPythonReady()
    dir = mkdtempSync(join(tmpdir(), 'ss-flask-browser-'))
    const port = await freePort()
    // The hub posts logout tokens to the app itself: the site's backchannelLogoutUri, by IP (Node does not resolve *.localhost).
    hub = await startTestHub({ sites: [wikiSite(port)], ...GENEROUS_RATE_LIMIT })
    wiki = await startWiki(port, hub, dir)
  })

  after(async () => {
    await wiki?.stop()
    await hub?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('signed in through the hub, signed out everywhere: within a second the app stops showing alice', async () => {
    const browser = await openBrowser('third-party-blocked')
    try {
      const page = await browser.context.newPage()
      await signInFrom(page, `${origin()}/?page=1`, hub)
      assert.equal(await page.getByRole('heading').textContent(), `Hello, ${ALICE.name}`)

      const cookies = await browser.context.cookies()
      const token = cookies.find((c) => c.name === tokenCookieName(false))!.value
      const { sid, sub } = decodeJwt(token) as { sid: string; sub: string }
      // "Sign out everywhere" from another device: the hub session ends; this browser keeps its cookies.
      const hubCookies = cookies.filter((c) => c.domain === new URL(hub.origin).hostname).map((c) => `${c.name}=${c.value}`).join('; ')
      assert.equal((await fetch(`${wiki.url}/api/me`, { headers: { cookie: `${tokenCookieName(false)}=${token}; ${cookies.filter((c) => c.domain === new URL(origin()).hostname).map((c) => `${c.name}=${c.value}`).join('; ')}` } })).status, 200, 'before: the app knows alice')
      const everywhere = await fetch(`${hub.url}/logout/everywhere`, { method: 'POST', redirect: 'manual', headers: { origin: hub.origin, cookie: hubCookies, 'content-type': 'application/x-www-form-urlencoded' }, body: '' })
      assert.equal(everywhere.status, 303)
      assert.equal((await browser.context.cookies()).some((c) => c.name === tokenCookieName(false)), true, 'this browser still holds the token cookie')

      // The hub's own logout token (no sid: every session of alice) reaches the app: the API refuses her within a second.
      const binding = cookies.filter((c) => c.domain === new URL(origin()).hostname).map((c) => `${c.name}=${c.value}`).join('; ')
      const me = () => fetch(`${wiki.url}/api/me`, { headers: { cookie: `${tokenCookieName(false)}=${token}; ${binding}` } })
      assert.equal(typeof sid, 'string')
      assert.equal(typeof sub, 'string')
      await waitUntil(async () => (await me()).status === 401, 'the app refuses alice after the hub\'s back-channel logout', 1000)

      await page.reload()
      await page.waitForURL(`${hub.origin}/login**`)
      assert.equal(await page.getByLabel('Username').isVisible(), true, 'back at the sign-in form: the hub session is gone too')
      assert.doesNotMatch(await page.content(), /Hello, Alice/)
    } finally {
      await browser.close()
    }
  })
})

// The issue's own case: alice signed in at the token-only Flask app and at a
// cross-site member (shop.localhost); she signs out on the shop. The shop's
// sign-out goes through the hub, which clears the token cookie and, seeing
// the token of an ended session, tells the Flask app: even a copy of the old
// token (another tab, a stolen cookie) is refused there within a second.
describe('Chromium: a sign-out started on a cross-site member reaches the token-only Flask app', () => {
  let hub: TestHub
  let wiki: FlaskApp
  let shop: Awaited<ReturnType<typeof listenOnFreePort>>
  let dir: string
  const wikiOrigin = (): string => `http://wiki.acme.localhost:${wiki.port}`
  const shopOrigin = (): string => `http://shop.localhost:${shop.port}`

  before(async () => {
    assertPythonReady()
    dir = mkdtempSync(join(tmpdir(), 'ss-flask-signout-'))
    const port = await freePort()
    shop = await listenOnFreePort()
    const sites = [
      wikiSite(port),
      { name: 'shop', origin: `http://shop.localhost:${shop.port}` },
    ]
    hub = await startTestHub({ sites, ...GENEROUS_RATE_LIMIT })
    const member = createMember({ site: 'shop', sites, hub: hub.origin, keys: hub.ring, store: hub.store, log: () => undefined, selfCheck: false })
    const demoSites: DemoSite[] = [
      { name: 'hub', label: 'hub', origin: hub.origin, shop: false },
      { name: 'shop', label: 'shop', origin: shopOrigin(), shop: true },
    ]
    shop.server.on('request', demoSiteApp({ site: demoSites[1]!, sites: demoSites, member, loginUrl: (r) => `${hub.origin}/login?return=${encodeURIComponent(r)}` }))
    wiki = await startWiki(port, hub, dir)
  })

  after(async () => {
    await wiki?.stop()
    await shop?.close()
    await hub?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('signed in at the wiki and the shop, signed out on the shop: the wiki shows nobody, and refuses the old token within a second', async () => {
    const browser = await openBrowser('third-party-blocked')
    try {
      const page = await browser.context.newPage()
      await signInFrom(page, `${wikiOrigin()}/`, hub)
      assert.equal(await page.getByRole('heading').textContent(), `Hello, ${ALICE.name}`)

      await page.goto(`${shopOrigin()}/`)
      assert.equal(await page.getByTestId('user').textContent(), 'alice', 'the shop pulled the session through the hub')

      const cookies = await browser.context.cookies()
      const token = cookies.find((c) => c.name === tokenCookieName(false))!.value
      const binding = cookies.filter((c) => c.domain === new URL(wikiOrigin()).hostname).map((c) => `${c.name}=${c.value}`).join('; ')
      const me = () => fetch(`${wiki.url}/api/me`, { headers: { cookie: `${tokenCookieName(false)}=${token}; ${binding}` } })
      assert.equal((await me()).status, 200, 'before: the old token is good at the wiki')

      await page.getByTestId('logout').click()
      await page.waitForURL(`${shopOrigin()}/`)
      assert.equal(await page.getByTestId('user').textContent(), 'anonymous')
      assert.equal((await browser.context.cookies()).some((c) => c.name === tokenCookieName(false)), false, 'the hub cleared the token cookie on the way')
      await waitUntil(async () => (await me()).status === 401, 'the wiki refuses the old token (the hub\'s back-channel logout)', 1000)

      await page.goto(`${wikiOrigin()}/`)
      await page.waitForURL(`${hub.origin}/login**`)
      assert.doesNotMatch(await page.content(), /Hello, Alice/)
    } finally {
      await browser.close()
    }
  })
})
