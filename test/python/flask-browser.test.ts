import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { tokenCookieName } from '../../src/tokens/cookie-name.js'
import { openBrowser } from '../helpers/browser.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { assertPythonReady, freePort, GENEROUS_RATE_LIMIT, startFlaskApp, type FlaskApp } from './flask-app.js'
import { waitUntil } from '../helpers/browser-driver.js'

// In Chromium: alice signs in to the Flask example through the hub, then her
// session is ended elsewhere ("sign out everywhere" from another device) and
// the hub's back-channel logout reaches the app. This browser still holds
// its token cookie, and the app checks no revocation with the hub: only the
// hub's back-channel logout (to the site's backchannelLogoutUri) can stop it
// from showing alice.

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
    hub = await startTestHub({
      sites: [{ name: 'wiki', origin: `http://wiki.acme.localhost:${port}`, member: false, backchannelLogoutUri: `http://127.0.0.1:${port}/auth/backchannel-logout` }],
      ...GENEROUS_RATE_LIMIT,
    })
    wiki = await startFlaskApp(port, {
      HUB_ORIGIN: hub.origin,
      JWKS_URL: `${hub.url}/.well-known/jwks.json`,
      AUDIENCE: 'acme.localhost',
      CLIENT_ID: 'wiki',
      REVOCATION: 'off',
      APP_ORIGIN: `http://wiki.acme.localhost:${port}`,
      DATABASE: join(dir, 'wiki.sqlite'),
    })
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
      await page.goto(`${origin()}/?page=1`)
      await page.waitForURL(`${hub.origin}/login**`)
      await page.getByLabel('Username').fill(ALICE.username)
      await page.getByLabel('Password').fill(ALICE.password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.waitForURL(`${origin()}/?page=1`)
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
