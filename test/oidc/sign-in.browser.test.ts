import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { openBrowser } from '../helpers/browser.js'
import { ALICE } from '../helpers/hub.js'
import { startOidcWorld, type OidcWorld } from './fixtures.js'

describe('OpenID Connect sign-in and sign-out in Chromium, openid-client as the relying party', () => {
  let world: OidcWorld
  before(async () => {
    world = await startOidcWorld()
  })
  after(async () => {
    await world?.close()
  })

  test('code + PKCE through the hub login form; SSO to a second app; sign-out at the app ends the hub session, the member session and reaches both apps by back-channel', async () => {
    const { hub, rp, rp2, shop } = world
    const browser = await openBrowser('third-party-blocked')
    try {
      const page = await browser.context.newPage()
      await page.goto(`${rp.origin}/`)
      assert.equal(await page.getByTestId('rp-user').textContent(), 'anonymous')
      await page.getByTestId('rp-login').click()
      // No hub session: the provider sends the browser to the hub's own login form.
      await page.waitForURL(`${hub.origin}/login**`)
      await page.getByLabel('Username').fill('alice')
      await page.getByLabel('Password').fill(ALICE.password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.waitForURL(`${rp.origin}/`)
      assert.equal(await page.getByTestId('rp-user').textContent(), 'alice')

      // The ID token: the hub's user id as sub, signed with the hub's key, verifies against the hub's JWKS.
      const idToken = rp.last.tokens!.id_token!
      const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(`${hub.url}/.well-known/jwks.json`)), { issuer: hub.origin, audience: 'rp' })
      assert.equal(decodeProtectedHeader(idToken).kid, hub.ring.signer.kid)
      const hubSessions = await hub.store.listUserSessions(payload.sub!, Date.now())
      assert.equal(hubSessions.length, 1, 'one hub session, made by the hub login')
      assert.equal(hubSessions[0]!.user!.sub, payload.sub, 'sub is the hub user id')
      assert.equal(payload.preferred_username, 'alice')
      assert.equal(payload.email, ALICE.email)
      assert.equal(typeof payload.sid, 'string')

      // The member (cross-site shop) shares the hub session: it sees alice.
      await page.goto(`${shop.origin}/`)
      await page.waitForFunction(() => document.querySelector('[data-testid="user"]')?.textContent?.includes('alice'))

      // SSO: a second app signs in with no password prompt.
      const seen: string[] = []
      page.on('framenavigated', (f) => {
        if (f === page.mainFrame()) seen.push(f.url())
      })
      await page.goto(`${rp2.origin}/`)
      await page.getByTestId('rp-login').click()
      await page.waitForURL(`${rp2.origin}/`)
      assert.equal(await page.getByTestId('rp-user').textContent(), 'alice')
      assert.equal(seen.some((u) => u.startsWith(`${hub.origin}/login`)), false, `no login form on the way: ${seen.join(' → ')}`)
      assert.equal(rp2.last.claims!.sub, payload.sub)

      // Sign-out at the first app: a confirmation at the hub, then back to the app.
      const logoutAtRp = rp.nextLogout()
      const logoutAtRp2 = rp2.nextLogout()
      await page.goto(`${rp.origin}/`)
      await page.getByTestId('rp-logout').click()
      await page.getByTestId('confirm-logout').waitFor()
      if (process.env.OIDC_SCREENSHOTS) await page.screenshot({ path: `${process.env.OIDC_SCREENSHOTS}/oidc-logout-confirm.png` })
      await page.getByTestId('confirm-logout').click()
      await page.waitForURL(`${rp.origin}/`)
      assert.equal(await page.getByTestId('rp-user').textContent(), 'anonymous')

      // The hub session is gone from the store, so the member sees it gone…
      assert.equal((await hub.store.listUserSessions(payload.sub!, Date.now())).length, 0)
      await page.goto(`${shop.origin}/`)
      assert.notEqual(await page.getByTestId('user').textContent(), 'alice')
      // …and both apps received a verified logout token for their sid and sub.
      const [one, two] = await Promise.all([logoutAtRp, logoutAtRp2])
      assert.equal(one.claims.sid, payload.sid)
      assert.equal(one.claims.sub, payload.sub)
      assert.equal(one.ended, 0, 'rp had already ended its own session')
      assert.equal(two.claims.sid, rp2.last.claims!.sid)
      assert.equal(two.ended, 1, 'rp2 ended its session on the logout token')
      assert.deepEqual([...rp.rejected, ...rp2.rejected], [])

      // Signing in again asks for the password: the provider's session ended with the hub's.
      await page.goto(`${rp2.origin}/`)
      await page.getByTestId('rp-login').click()
      await page.waitForURL(`${hub.origin}/login**`)
    } finally {
      await browser.close()
    }
  })
})
