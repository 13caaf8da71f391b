// Sign-out reaches sites that only read the token (issue 12, item 1): a
// site with a backchannelLogoutUri gets a Back-Channel Logout 1.0 logout
// token when a session ends, whether the hub ended it (its /logout) or
// noticed the end later (a member signed out in another process: the next
// pull or refresh shows the hub a token whose session is gone).
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { CookieJar, NAVIGATION_HEADERS, httpGet, loginOverHttp, logoutOverHttp } from '../helpers/http.js'
import { waitUntil } from '../helpers/browser-driver.js'

const SHOP = 'http://shop.localhost:4002'
const WIKI = 'http://wiki.acme.localhost:4010'

let hub: TestHub
let receiver: Server
const received: { token: string; claims: JWTPayload; header: Record<string, unknown> }[] = []

before(async () => {
  receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token') ?? ''
      const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>)
      received.push({ token, claims: payload as JWTPayload, header: header! })
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const uri = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/auth/backchannel-logout`
  hub = await startTestHub({
    sites: [
      { name: 'shop', origin: SHOP },
      { name: 'wiki', origin: WIKI, member: false, backchannelLogoutUri: uri },
    ],
  })
})
after(async () => {
  await hub.close()
  await new Promise((resolve) => receiver.close(resolve))
})

async function signIn(): Promise<{ jar: CookieJar; sid: string; sub: string }> {
  const jar = new CookieJar()
  assert.equal((await loginOverHttp(hub, jar, ALICE)).status, 303)
  const claims = JSON.parse(Buffer.from(jar.get('ss-token')!.split('.')[1]!, 'base64url').toString()) as { sid: string; sub: string }
  return { jar, sid: claims.sid, sub: claims.sub }
}

/** The logout tokens received since `from`, verified with the hub's JWKS as the site would. */
async function tokensSince(from: number): Promise<JWTPayload[]> {
  const keys = createLocalJWKSet(hub.ring.jwks as Parameters<typeof createLocalJWKSet>[0])
  return Promise.all(
    received.slice(from).map(async ({ token }) => (await jwtVerify(token, keys, { issuer: hub.origin, audience: 'wiki', typ: 'logout+jwt' })).payload),
  )
}

describe('back-channel logout to sites that only read the token', () => {
  it("a sign-out at the hub: the wiki gets a logout token for the token's sid within a second", async () => {
    const { jar, sid, sub } = await signIn()
    const from = received.length
    const started = Date.now()
    assert.equal((await logoutOverHttp(hub, jar)).status, 303)
    await waitUntil(async () => received.length > from, 'a logout token reaches the wiki', 1000)
    const [claims] = await tokensSince(from)
    assert.equal(claims!.sid, sid)
    assert.equal(claims!.sub, sub)
    assert.deepEqual(claims!.events, { 'http://schemas.openid.net/event/backchannel-logout': {} })
    assert.equal(claims!.nonce, undefined)
    assert.ok(Date.now() - started < 1000)
  })

  it('a sign-out everywhere: one token naming the user, no sid', async () => {
    const { jar, sub } = await signIn()
    const from = received.length
    const response = await fetch(`${hub.url}/logout/everywhere`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: hub.origin, cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    })
    assert.equal(response.status, 303)
    await waitUntil(async () => received.length > from, 'a logout token reaches the wiki', 1000)
    const [claims] = await tokensSince(from)
    assert.equal(claims!.sub, sub)
    assert.equal(claims!.sid, undefined)
  })

  it('a session ended elsewhere (a member in another process): the next pull with its token announces it, once', async () => {
    const { jar, sid } = await signIn()
    await hub.store.deleteSession(sid) // what a member's sign-out does, in its own process
    const from = received.length
    const pull = () => httpGet(`${hub.url}/pull?dst=shop&bind=${'A'.repeat(43)}&return=${encodeURIComponent(`${SHOP}/`)}`, { ...NAVIGATION_HEADERS, cookie: jar.header() })
    const first = await pull()
    assert.equal(first.status, 302)
    assert.ok(first.headers.getSetCookie().some((c) => /^ss-token=;/.test(c)), 'the stale token cookie is cleared')
    await waitUntil(async () => received.length > from, 'a logout token reaches the wiki', 1000)
    assert.equal((await tokensSince(from))[0]!.sid, sid)

    await pull()
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(received.length, from + 1, 'announced once, not on every pull')
  })

  it('a flood of pulls with one stale token costs one look, not one signature check and store read each', async () => {
    let reads = 0
    const store = createMemoryStore()
    const counting = new Proxy(store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown
        if (name === 'getSession') return (...args: Parameters<typeof store.getSession>) => ((reads += 1), store.getSession(...args))
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const flooded = await startTestHub({ store: counting, sites: [{ name: 'shop', origin: SHOP }, { name: 'wiki', origin: WIKI, member: false, backchannelLogoutUri: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/x` }] })
    try {
      const jar = new CookieJar()
      assert.equal((await loginOverHttp(flooded, jar, ALICE)).status, 303)
      const sid = (JSON.parse(Buffer.from(jar.get('ss-token')!.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid
      await store.deleteSession(sid)
      reads = 0
      for (let i = 0; i < 20; i++) {
        const pull = await httpGet(`${flooded.url}/pull?dst=shop&bind=${'A'.repeat(43)}&return=${encodeURIComponent(`${SHOP}/`)}`, { ...NAVIGATION_HEADERS, cookie: `ss-token=${jar.get('ss-token')}` })
        assert.equal(pull.status, 302)
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
      assert.equal(reads, 1, 'the token was looked at once')
    } finally {
      await flooded.close()
    }
  })

  it('the token of a live session (one a sibling host tossed) announces nothing', async () => {
    const { jar } = await signIn()
    const from = received.length
    const tossed = `ss-token=${jar.get('ss-token')}` // mallory's live session's token, in a browser without a hub session
    const response = await httpGet(`${hub.url}/pull?dst=shop&bind=${'A'.repeat(42) + 'E'}&return=${encodeURIComponent(`${SHOP}/`)}`, { ...NAVIGATION_HEADERS, accept: 'application/json', cookie: tossed })
    assert.equal(response.status, 302, await response.text())
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(received.length, from)
  })
})
