import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import express from 'express'
import { toExpress } from '../../src/adapters/express/index.js'
import { createJwksClient } from '../../src/consumer/jwks-client.js'
import { createTokenConsumer, type TokenAuth } from '../../src/consumer/token-consumer.js'
import { escapeHtml } from '../../src/lib/html.js'
import type { LoginClaims } from '../../src/tokens/claims.js'
import { storeRevocationCheck } from '../../src/tokens/revocation.js'
import { tokenCookieName } from '../../src/tokens/cookie-name.js'
import { marksCookiesSecure } from '../../src/sites/site-cookies.js'
import { openBrowser } from '../helpers/browser.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { CookieJar, loginOverHttp } from '../helpers/http.js'
import { listenOnFreePort } from '../helpers/listen.js'

/** A forum on forum.acme.localhost that reads the hub's parent-domain token (Express adapter). */
function startForum(hub: TestHub, server: Server, origin: string): { users: Map<string, { id: number; username: string }> } {
  const users = new Map<string, { id: number; username: string }>()
  const consumer = createTokenConsumer({
    hub: hub.origin,
    origin,
    audience: 'acme.localhost',
    keys: createJwksClient({ url: `${hub.url}/.well-known/jwks.json` }),
    requireLogin: false,
    revocation: storeRevocationCheck(hub.store),
    findOrCreateUser: (claims: LoginClaims) => {
      const key = `${claims.iss}\n${claims.sub}`
      if (!users.has(key)) users.set(key, { id: users.size + 1, username: claims.username })
      return users.get(key)!
    },
  })
  const app = express()
  app.use(toExpress(consumer))
  app.get('/', (req, res) => {
    const auth = (req as unknown as { auth: TokenAuth<{ id: number; username: string }> }).auth
    const back = encodeURIComponent(`${origin}/`)
    res.send(`<!doctype html><title>Forum</title><h1>Forum</h1>
<p>Signed in: <span data-testid="user">${escapeHtml(auth.user?.username ?? 'anonymous')}</span></p>
<a data-testid="login" href="${hub.origin}/login?return=${back}">Sign in</a>
<form method="post" action="${hub.origin}/logout"><input type="hidden" name="return" value="${origin}/"><button data-testid="logout">Sign out</button></form>`)
  })
  server.on('request', app)
  return { users }
}

describe('subdomain login in Chromium: hub on auth.acme.localhost, member on forum.acme.localhost', () => {
  let hub: TestHub
  let listening: Awaited<ReturnType<typeof listenOnFreePort>>
  let forum: ReturnType<typeof startForum> & { origin: string }
  before(async () => {
    listening = await listenOnFreePort()
    const origin = `http://forum.acme.localhost:${listening.port}`
    hub = await startTestHub({ sites: [{ name: 'forum', origin, member: false }] })
    forum = { origin, ...startForum(hub, listening.server, origin) }
  })
  after(async () => {
    await listening.close()
    await hub.close()
  })

  for (const world of ['third-party-blocked', 'third-party-allowed'] as const) {
    test(`log in through the real form, the forum sees alice; log out, the forum is anonymous (${world})`, async () => {
      const browser = await openBrowser(world)
      try {
        const page = await browser.context.newPage()
        await page.goto(`${forum.origin}/`)
        assert.equal(await page.getByTestId('user').textContent(), 'anonymous')

        await page.getByTestId('login').click()
        await page.waitForURL(`${hub.origin}/login**`)
        await page.getByLabel('Username').fill('alice')
        await page.getByLabel('Password').fill('not-her-password')
        await page.getByRole('button', { name: 'Sign in' }).click()
        assert.equal(await page.getByTestId('login-error').textContent(), 'Wrong username or password.')

        await page.getByLabel('Password').fill(ALICE.password)
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page.waitForURL(`${forum.origin}/`)
        assert.equal(await page.getByTestId('user').textContent(), 'alice')
        assert.equal(forum.users.size >= 1, true, 'the forum created its local user')

        const cookies = await browser.context.cookies(forum.origin)
        // An http hub (even on *.localhost) sets a plain, non-Secure ss-token: WebKit drops Secure cookies over http.
        const token = cookies.find((c) => c.name === tokenCookieName(marksCookiesSecure(hub.origin)))
        assert.ok(token, `the parent-domain token cookie reached the forum: ${cookies.map((c) => c.name).join(', ')}`)
        assert.equal(token.name, 'ss-token')
        assert.equal(token.domain, '.acme.localhost')
        assert.equal(token.httpOnly, true)
        assert.equal(token.secure, false)

        await page.getByTestId('logout').click()
        await page.waitForURL(`${forum.origin}/`)
        assert.equal(await page.getByTestId('user').textContent(), 'anonymous')
      } finally {
        await browser.close()
      }
    })
  }

  test("a sibling host tosses mallory's token for the parent domain: the forum never shows mallory", async () => {
    await hub.users.add(MALLORY)
    const jar = new CookieJar()
    assert.equal((await loginOverHttp(hub, jar, MALLORY)).status, 303)
    const tossed = jar.get('ss-token')!
    // evil.acme.localhost: any host under the parent domain (user content, a forgotten test host).
    const evil = await listenOnFreePort()
    evil.server.on('request', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'set-cookie': `ss-token=${tossed}; Domain=acme.localhost; Path=/; HttpOnly; SameSite=Lax` })
      res.end('<!doctype html><title>Evil</title><p>nothing to see</p>')
    })
    const browser = await openBrowser('third-party-blocked')
    try {
      const page = await browser.context.newPage()
      await page.goto(`http://evil.acme.localhost:${evil.port}/`)
      const held = (await browser.context.cookies(forum.origin)).find((c) => c.name === 'ss-token')
      assert.equal(held?.value, tossed, 'the browser holds the tossed token for the forum: the attack is live')

      await page.goto(`${forum.origin}/`)
      assert.equal(new URL(page.url()).origin, forum.origin, 'back on the forum after one confirmation round trip')
      assert.equal(await page.getByTestId('user').textContent(), 'anonymous', 'the hub vouched for no session: not mallory')
      await page.goto(`${forum.origin}/`)
      assert.equal(await page.getByTestId('user').textContent(), 'anonymous')
    } finally {
      await browser.close()
      await evil.close()
    }
  })
})

const MALLORY = { username: 'mallory', password: 'not-a-real-one' }
