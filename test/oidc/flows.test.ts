import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/oidc/backchannel-logout.js'
import { generateClientSecret, hashClientSecret } from '../../src/oidc/clients.js'
import type { TestHub } from '../helpers/hub.js'
import { agent, signInAtHub, type Agent } from './agent.js'
import { startBackchannelServer } from './backchannel-server.js'
import { startOidcHub } from './fixtures.js'
import { authorize, pkce, tokenRequest } from './oauth.js'

const APP = 'http://app.localhost:3999/cb'
const SECRET = generateClientSecret()
const CLIENT = { id: 'app', secret: SECRET }

async function signInToApp(hub: TestHub, a: Agent, scope = 'openid profile email') {
  const p = pkce()
  const { code } = await authorize(hub, a, { client_id: 'app', response_type: 'code', scope, redirect_uri: APP, state: 'state-1234567', nonce: 'nonce-1234567', code_challenge: p.challenge, code_challenge_method: 'S256' }, APP)
  assert.ok(code, 'a code was issued')
  const tokens = await tokenRequest(hub, { grant_type: 'authorization_code', code: code!, redirect_uri: APP, code_verifier: p.verifier }, CLIENT)
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body))
  return tokens.body as { access_token: string; refresh_token?: string; id_token: string }
}

async function hubLogout(hub: TestHub, a: Agent, everywhere = false) {
  const r = await a.post(`${hub.origin}/logout${everywhere ? '/everywhere' : ''}`, {})
  assert.equal(r.status, 303)
  return r
}

describe('OIDC tokens and sign-out reaching the apps', () => {
  let hub: TestHub
  let app: Awaited<ReturnType<typeof startBackchannelServer>>
  const logs: string[] = []
  before(async () => {
    app = await startBackchannelServer()
    hub = await startOidcHub([{ clientId: 'app', redirectUris: [APP], secretHash: hashClientSecret(SECRET), backchannelLogoutUri: app.uri }], { backchannel: { backoffMs: 10 }, watchIntervalMs: 100 }, { log: (m) => logs.push(m) })
  })
  after(async () => {
    hub?.hub.oidc?.close()
    await hub?.close()
    await app?.close()
  })

  test('userinfo gives the hub user by scope; sub is the hub user id', async () => {
    const a = agent(hub)
    await signInAtHub(hub, a)
    const tokens = await signInToApp(hub, a, 'openid profile')
    const me = await fetch(`${hub.url}/oidc/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
    assert.equal(me.status, 200)
    assert.deepEqual(await me.json(), { sub: 'u_alice', preferred_username: 'alice' }, 'no email without the email scope')
    assert.equal((await fetch(`${hub.url}/oidc/me`, { headers: { authorization: 'Bearer forged' } })).status, 401)
  })

  test('prompt=login and an exceeded max_age send a signed-in person back to the hub login form; auth_time is the hub login', async () => {
    const a = agent(hub)
    const sessionId = await signInAtHub(hub, a)
    const created = (await hub.store.getSession(sessionId, Date.now()))!.createdAt
    const p = pkce()
    const base = { client_id: 'app', response_type: 'code', scope: 'openid', redirect_uri: APP, code_challenge: p.challenge, code_challenge_method: 'S256', nonce: 'nonce-1234567' }
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      const r = await authorize(hub, a, { ...base, ...extra }, APP)
      assert.equal(r.code, null, JSON.stringify(extra))
      assert.match(r.trail.at(-1)!, /\/login\?return=/, JSON.stringify(extra))
    }
    const ok = await authorize(hub, a, { ...base, max_age: '3600' }, APP)
    assert.ok(ok.code)
    const tokens = await tokenRequest(hub, { grant_type: 'authorization_code', code: ok.code!, redirect_uri: APP, code_verifier: p.verifier }, CLIENT)
    assert.equal(decodeJwt(String(tokens.body.id_token)).auth_time, Math.floor(created / 1000))
  })

  test('refresh tokens rotate on every use; a used one replayed revokes the whole grant', async () => {
    const a = agent(hub)
    await signInAtHub(hub, a)
    const first = await signInToApp(hub, a)
    assert.ok(first.refresh_token)
    const second = await tokenRequest(hub, { grant_type: 'refresh_token', refresh_token: first.refresh_token! }, CLIENT)
    assert.equal(second.status, 200)
    assert.notEqual(second.body.refresh_token, first.refresh_token, 'rotated')
    assert.equal(decodeJwt(String(second.body.id_token)).sub, 'u_alice')
    const replay = await tokenRequest(hub, { grant_type: 'refresh_token', refresh_token: first.refresh_token! }, CLIENT)
    assert.equal(replay.status, 400)
    assert.equal(replay.body.error, 'invalid_grant')
    const after = await tokenRequest(hub, { grant_type: 'refresh_token', refresh_token: String(second.body.refresh_token) }, CLIENT)
    assert.equal(after.status, 400, 'the replay of a rotated token revoked its successor too')
  })

  test('a sign-out at the hub posts a signed logout token (events, sid, sub) to the app, revokes its refresh token, and the next sign-in asks for the password', async () => {
    const a = agent(hub)
    await signInAtHub(hub, a)
    const tokens = await signInToApp(hub, a)
    const claims = decodeJwt(tokens.id_token)
    const before = app.received.length
    await hubLogout(hub, a)
    await app.calls(before + 1)
    const { token, contentType } = app.received[before]!
    assert.equal(contentType, 'application/x-www-form-urlencoded')
    assert.equal(decodeProtectedHeader(token).typ, 'logout+jwt')
    assert.equal(decodeProtectedHeader(token).kid, hub.ring.signer.kid)
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${hub.url}/.well-known/jwks.json`)), { issuer: hub.origin, audience: 'app', algorithms: [hub.ring.signer.alg] })
    assert.deepEqual(payload.events, { [BACKCHANNEL_LOGOUT_EVENT]: {} })
    assert.equal(payload.sid, claims.sid)
    assert.equal(payload.sub, 'u_alice')
    assert.equal('nonce' in payload, false)
    assert.ok(typeof payload.jti === 'string' && payload.exp! > payload.iat!)

    const refresh = await tokenRequest(hub, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, CLIENT)
    assert.equal(refresh.status, 400, 'the grant died with the session')
    const p = pkce()
    const again = await authorize(hub, a, { client_id: 'app', response_type: 'code', scope: 'openid', redirect_uri: APP, code_challenge: p.challenge, code_challenge_method: 'S256' }, APP)
    assert.equal(again.code, null)
    assert.match(again.trail.at(-1)!, /\/login\?return=/, 'the provider session ended with the hub session: back to the login form')
  })

  test('"sign out everywhere" reaches the app once per session it was signed in within', async () => {
    const phone = agent(hub)
    const laptop = agent(hub)
    // A user of their own: "everywhere" rightly reaches every session of the user, other tests' included.
    const bob = { sub: 'u_bob', username: 'bob', email: 'bob@acme.example' }
    await signInAtHub(hub, phone, bob)
    await signInAtHub(hub, laptop, bob)
    const sids = [decodeJwt((await signInToApp(hub, phone)).id_token).sid, decodeJwt((await signInToApp(hub, laptop)).id_token).sid]
    assert.notEqual(sids[0], sids[1])
    const before = app.received.length
    await hubLogout(hub, laptop, true)
    await app.calls(before + 2)
    const got = app.received.slice(before).map((r) => decodeJwt(r.token).sid)
    assert.deepEqual(got.sort(), [...sids].sort())
  })

  test('a session that ends without the hub hearing of it (a member sign-out elsewhere, a revocation) reaches the app too', async () => {
    const a = agent(hub)
    const sessionId = await signInAtHub(hub, a)
    const { id_token } = await signInToApp(hub, a)
    const before = app.received.length
    await hub.store.deleteSession(sessionId)
    await app.calls(before + 1)
    assert.equal(decodeJwt(app.received[before]!.token).sid, decodeJwt(id_token).sid)
  })
})

describe('back-channel delivery: retried, bounded, never blocking the sign-out', () => {
  test('an app that fails twice gets the token on the third try; one that always fails is given up after three', async () => {
    let calls = 0
    const flaky = await startBackchannelServer(() => (++calls <= 2 ? 503 : 200))
    const down = await startBackchannelServer(() => 500)
    const logs: string[] = []
    const gaveUp = new Promise<void>((resolve) => {
      logs.push = (...m: string[]) => {
        if (m.some((x) => x.includes(down.uri))) resolve()
        return Array.prototype.push.apply(logs, m)
      }
    })
    const hub = await startOidcHub(
      [
        { clientId: 'app', redirectUris: [APP], secretHash: hashClientSecret(SECRET), backchannelLogoutUri: flaky.uri },
        { clientId: 'down', redirectUris: [APP], secretHash: hashClientSecret(SECRET), backchannelLogoutUri: down.uri },
      ],
      { backchannel: { backoffMs: 10, attempts: 3 } },
      { log: (m) => logs.push(m) },
    )
    try {
      const a = agent(hub)
      await signInAtHub(hub, a)
      await signInToApp(hub, a)
      const p = pkce()
      const { code } = await authorize(hub, a, { client_id: 'down', response_type: 'code', scope: 'openid', redirect_uri: APP, code_challenge: p.challenge, code_challenge_method: 'S256' }, APP)
      assert.ok(code)
      await hubLogout(hub, a)
      await flaky.calls(3)
      await gaveUp
      assert.equal(flaky.received.length, 3)
      assert.equal(new Set(flaky.received.map((r) => r.token)).size, 1, 'the same token each time')
      assert.equal(down.received.length, 3, 'three tries, then it stops')
      assert.match(logs.join('\n'), /back-channel logout to .* failed \(HTTP 500\)/)
    } finally {
      hub.hub.oidc?.close()
      await hub.close()
      await flaky.close()
      await down.close()
    }
  })

  test('an app that does not answer does not hold up the sign-out response', async () => {
    const stuck = await startBackchannelServer(() => 'hold')
    const hub = await startOidcHub([{ clientId: 'app', redirectUris: [APP], secretHash: hashClientSecret(SECRET), backchannelLogoutUri: stuck.uri }], { backchannel: { attempts: 1, timeoutMs: 30_000 } }, { log: () => undefined })
    try {
      const a = agent(hub)
      await signInAtHub(hub, a)
      await signInToApp(hub, a)
      const response = await hubLogout(hub, a)
      await stuck.calls(1)
      // The app still holds the request open, and the browser has had its answer all along.
      assert.equal(response.status, 303)
      assert.equal(stuck.received.length, 1)
    } finally {
      stuck.release()
      hub.hub.oidc?.close()
      await hub.close()
      await stuck.close()
    }
  })
})
