import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import { generateKeysConfig } from '../../src/keys/generate.js'
import { generateClientSecret, hashClientSecret } from '../../src/oidc/clients.js'
import { openBrowser } from '../helpers/browser.js'
import { ALICE } from '../helpers/hub.js'
import { freePort, PYTHON, startPythonApp, type FlaskApp } from '../python/flask-app.js'
import { startOidcWorld, type OidcWorld } from './fixtures.js'

// A Flask app on Debian's python3-authlib signs in with the hub as any
// off-the-shelf OIDC library would (discovery, code + PKCE S256, a client
// secret, ID token checked against the JWKS, userinfo) and signs out with
// RP-initiated logout. One Flask process and one Chromium for the file.
//
// The hub signs with ES256 here, not the default EdDSA: Debian's Authlib
// (1.2) cannot compute an EdDSA ID token's at_hash (it looks for
// hashlib.shaDSA; authlib/authlib#799, fixed upstream in 2025) and refuses
// the sign-in with `invalid_claim: at_hash`. An operator with such apps
// runs the hub on an ES256 key (`keys rotate --alg ES256`).

const APP = fileURLToPath(new URL('./authlib_rp.py', import.meta.url))

describe('OpenID Connect in Chromium, Flask + Authlib as the relying party', () => {
  let world: OidcWorld
  let flask: FlaskApp
  let origin: string
  let browser: Awaited<ReturnType<typeof openBrowser>>

  before(async () => {
    const check = spawnSync(PYTHON, ['-c', 'import flask, authlib, requests'], { encoding: 'utf8' })
    if (check.error || check.status !== 0) {
      throw new Error(`${PYTHON} cannot import flask, authlib and requests (${check.error?.message ?? check.stderr.trim()}): run scripts/setup.sh (python3-flask, python3-authlib, python3-requests)`)
    }
    const port = await freePort()
    origin = `http://authlib.localhost:${port}`
    const secret = generateClientSecret()
    world = await startOidcWorld([{ clientId: 'authlib', redirectUris: [`${origin}/callback`], secretHash: hashClientSecret(secret) }], { keys: await generateKeysConfig({ alg: 'ES256' }) })
    flask = await startPythonApp([APP], port, {
      HOST: '127.0.0.1',
      PORT: String(port),
      HUB_ISSUER: world.hub.origin,
      HUB_BACKEND: world.hub.url,
      CLIENT_ID: 'authlib',
      CLIENT_SECRET: secret,
      APP_ORIGIN: origin,
      SECRET_KEY: generateClientSecret(),
    })
    browser = await openBrowser('third-party-blocked')
  })

  after(async () => {
    await browser?.close()
    await flask?.stop()
    await world?.close()
  })

  /** Main-frame navigation requests from now on, every redirect hop included. */
  function track(page: Page): string[] {
    const seen: string[] = []
    page.on('request', (r) => {
      if (r.isNavigationRequest() && r.frame() === page.mainFrame()) seen.push(r.url())
    })
    return seen
  }

  /** Wait for the browser to land on `url`; if it does not, fail with where it is, what it shows and what Flask logged. */
  async function arriveAt(page: Page, url: string): Promise<void> {
    try {
      await page.waitForURL(url, { timeout: 10_000 })
    } catch (err) {
      const body = await page.locator('body').innerText().catch(() => '')
      throw new Error(`expected ${url}, at ${page.url()}: ${body.slice(0, 500)}\n${flask.output().slice(-3000)}`, { cause: err })
    }
  }

  /** Sign out at the Authlib app (RP-initiated logout, confirmed at the hub), back on the app signed out. */
  async function signOutAtAuthlib(page: Page): Promise<void> {
    await page.goto(`${origin}/`)
    await page.getByTestId('logout').click()
    await page.getByTestId('confirm-logout').click()
    await arriveAt(page, `${origin}/`)
    assert.equal(await page.getByTestId('user').textContent(), 'anonymous')
  }

  test('sign-in through the hub login form: the app shows alice with sub the hub user id; sign-out at the app ends the hub and member sessions', async () => {
    const { hub, shop } = world
    const alice = hub.users.get('alice')!
    const page = await browser.context.newPage()
    try {
      await page.goto(`${origin}/`)
      assert.equal(await page.getByTestId('user').textContent(), 'anonymous')
      await page.getByTestId('login').click()
      await page.waitForURL(`${hub.origin}/login**`)
      await page.getByLabel('Username').fill('alice')
      await page.getByLabel('Password').fill(ALICE.password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await arriveAt(page, `${origin}/`)
      assert.equal(await page.getByTestId('user').textContent(), 'alice', flask.output())
      assert.equal(await page.getByTestId('sub').textContent(), alice.sub)
      const sessions = await hub.store.listUserSessions(alice.sub, Date.now())
      assert.equal(sessions.length, 1, 'one hub session, made by the hub login')

      // The member shares the session the OIDC sign-in made.
      await page.goto(`${shop.origin}/`)
      await page.waitForFunction(() => document.querySelector('[data-testid="user"]')?.textContent?.includes('alice'))

      await signOutAtAuthlib(page)
      assert.equal((await hub.store.listUserSessions(alice.sub, Date.now())).length, 0, 'the hub session is gone')
      await page.goto(`${shop.origin}/`)
      assert.notEqual(await page.getByTestId('user').textContent(), 'alice')
      // The provider's session ended too: signing in again asks for the password.
      await page.goto(`${origin}/`)
      await page.getByTestId('login').click()
      await page.waitForURL(`${hub.origin}/login**`)
    } finally {
      await page.close()
    }
  })

  test('SSO: signed in at the openid-client app, the Authlib app signs in with no password prompt; its sign-out ends the session at the hub, the member and the other app', async () => {
    const { hub, rp, shop } = world
    const alice = hub.users.get('alice')!
    const page = await browser.context.newPage()
    try {
      await page.goto(`${rp.origin}/`)
      await page.getByTestId('rp-login').click()
      await page.waitForURL(`${hub.origin}/login**`)
      await page.getByLabel('Username').fill('alice')
      await page.getByLabel('Password').fill(ALICE.password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.waitForURL(`${rp.origin}/`)
      assert.equal(await page.getByTestId('rp-user').textContent(), 'alice')

      const seen = track(page)
      await page.goto(`${origin}/`)
      await page.getByTestId('login').click()
      await arriveAt(page, `${origin}/`)
      assert.equal(await page.getByTestId('user').textContent(), 'alice', flask.output())
      assert.equal(await page.getByTestId('sub').textContent(), alice.sub)
      const authorize = seen.map((u) => new URL(u)).find((u) => u.origin === hub.origin && u.pathname === '/oidc/auth')
      assert.ok(authorize, `went through the hub's authorization endpoint: ${seen.join(' → ')}`)
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256')
      assert.match(authorize.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/)
      assert.equal(seen.some((u) => u.startsWith(`${hub.origin}/login`)), false, `no login form on the way: ${seen.join(' → ')}`)
      assert.equal((await hub.store.listUserSessions(alice.sub, Date.now())).length, 1, 'still the one hub session')
      await page.goto(`${shop.origin}/`)
      await page.waitForFunction(() => document.querySelector('[data-testid="user"]')?.textContent?.includes('alice'))

      const logoutAtRp = rp.nextLogout()
      await signOutAtAuthlib(page)
      assert.equal((await hub.store.listUserSessions(alice.sub, Date.now())).length, 0, 'the hub session is gone')
      await page.goto(`${shop.origin}/`)
      assert.notEqual(await page.getByTestId('user').textContent(), 'alice')
      // The openid-client app gets a back-channel logout token for its session and drops it.
      const received = await logoutAtRp
      assert.equal(received.claims.sid, rp.last.claims!.sid)
      assert.equal(received.claims.sub, alice.sub)
      assert.equal(received.ended, 1)
      await page.goto(`${rp.origin}/`)
      assert.equal(await page.getByTestId('rp-user').textContent(), 'anonymous')
    } finally {
      await page.close()
    }
  })
})
