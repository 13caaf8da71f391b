import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import * as client from 'openid-client'
import { generateClientSecret, hashClientSecret, verifyClientSecret } from '../../src/oidc/clients.js'
import type { TestHub } from '../helpers/hub.js'
import { agent, signInAtHub } from './agent.js'
import { startOidcHub } from './fixtures.js'
import { authorize, pkce, tokenRequest } from './oauth.js'

const APP = 'http://app.localhost:3999/cb'
const SPA = 'http://spa.localhost:3998/cb'
const SECRET = generateClientSecret()

describe('OIDC provider attacks: every one refused, with no code, token or session handed out', () => {
  let hub: TestHub
  before(async () => {
    hub = await startOidcHub([
      { clientId: 'app', redirectUris: [APP], secretHash: hashClientSecret(SECRET) },
      { clientId: 'spa', redirectUris: [SPA], public: true },
    ])
  })
  after(async () => {
    await hub?.close()
  })

  const params = (over: Record<string, string> = {}) => {
    const p = pkce()
    return { verifier: p.verifier, query: { client_id: 'app', response_type: 'code', scope: 'openid', redirect_uri: APP, state: 'st-123456789', nonce: 'n-123456789', code_challenge: p.challenge, code_challenge_method: 'S256', ...over } }
  }
  const signedIn = async () => {
    const a = agent(hub)
    await signInAtHub(hub, a)
    return a
  }

  test('a redirect_uri that is not exactly a registered one gets an error page at the hub, never a redirect to it', async () => {
    const a = await signedIn()
    for (const uri of [`${APP}/`, `${APP}?x=1`, `${APP}#f`, APP.replace('3999', '4000'), APP.toUpperCase().replace('HTTP://APP.LOCALHOST', 'http://app.localhost'), `${APP}x`, 'http://evil.localhost:3999/cb', APP.replace('http:', 'https:')]) {
      const { query } = params({ redirect_uri: uri })
      const r = await authorize(hub, a, query, uri)
      assert.equal(r.back, null, `no redirect to ${uri}`)
      assert.equal(r.page?.status, 400, uri)
      assert.match(await r.page!.text(), /redirect_uri/, uri)
    }
    // The exact one works, so the refusals above are about the URI and nothing else.
    const { query } = params()
    assert.ok((await authorize(hub, a, query, APP)).code)
  })

  test('PKCE is required: no code_challenge, or method plain, gets no code', async () => {
    const a = await signedIn()
    const { query } = params()
    const { code_challenge: _c, code_challenge_method: _m, ...withoutPkce } = query
    const missing = await authorize(hub, a, withoutPkce, APP)
    assert.equal(missing.code, null)
    assert.equal(missing.error, 'invalid_request')
    const plain = await authorize(hub, a, { ...query, code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }, APP)
    assert.equal(plain.code, null)
    assert.equal(plain.error, 'invalid_request')
    const noMethod = await authorize(hub, a, { ...withoutPkce, code_challenge: 'a'.repeat(43) }, APP)
    assert.equal(noMethod.code, null, 'a challenge without method would default to plain: refused')
    // A public client is held to the same rule.
    const spa = await authorize(hub, a, { ...withoutPkce, client_id: 'spa', redirect_uri: SPA }, SPA)
    assert.equal(spa.code, null)
  })

  test('a code is bound to its verifier, single-use, and a replay revokes what it gave', async () => {
    const a = await signedIn()
    const { query, verifier } = params()
    const { code } = await authorize(hub, a, query, APP)
    assert.ok(code)
    const wrong = await tokenRequest(hub, { grant_type: 'authorization_code', code: code!, redirect_uri: APP, code_verifier: pkce().verifier }, { id: 'app', secret: SECRET })
    assert.equal(wrong.status, 400)
    assert.equal(wrong.body.error, 'invalid_grant')

    const again = await authorize(hub, a, params().query, APP)
    const { query: q2, verifier: v2 } = params()
    const second = await authorize(hub, a, q2, APP)
    assert.ok(again.code && second.code)
    const first = await tokenRequest(hub, { grant_type: 'authorization_code', code: second.code!, redirect_uri: APP, code_verifier: v2 }, { id: 'app', secret: SECRET })
    assert.equal(first.status, 200)
    const accessToken = String(first.body.access_token)
    assert.equal((await fetch(`${hub.url}/oidc/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status, 200)
    const replay = await tokenRequest(hub, { grant_type: 'authorization_code', code: second.code!, redirect_uri: APP, code_verifier: v2 }, { id: 'app', secret: SECRET })
    assert.equal(replay.status, 400)
    assert.equal(replay.body.error, 'invalid_grant')
    assert.equal((await fetch(`${hub.url}/oidc/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status, 401, 'the replay revoked the tokens of the first exchange')
    assert.ok(verifier)
  })

  test('a public client presenting a secret is refused; a confidential one without or with a wrong secret too', async () => {
    const a = await signedIn()
    const p = pkce()
    const { code } = await authorize(hub, a, { ...params().query, client_id: 'spa', redirect_uri: SPA, code_challenge: p.challenge }, SPA)
    assert.ok(code)
    const withSecret = await tokenRequest(hub, { grant_type: 'authorization_code', code: code!, redirect_uri: SPA, code_verifier: p.verifier, client_id: 'spa', client_secret: 'anything' })
    assert.equal(withSecret.status, 401)
    assert.equal(withSecret.body.error, 'invalid_client')
    const basic = await tokenRequest(hub, { grant_type: 'authorization_code', code: code!, redirect_uri: SPA, code_verifier: p.verifier }, { id: 'spa', secret: 'anything' })
    assert.equal(basic.status, 401)

    const { query, verifier } = params()
    const c2 = (await authorize(hub, a, query, APP)).code!
    const none = await tokenRequest(hub, { grant_type: 'authorization_code', code: c2, redirect_uri: APP, code_verifier: verifier, client_id: 'app' })
    assert.equal(none.status, 401)
    // One character off the real secret (always another character: a random secret ends in 'A' one time in 64).
    const bad = await tokenRequest(hub, { grant_type: 'authorization_code', code: c2, redirect_uri: APP, code_verifier: verifier }, { id: 'app', secret: `${SECRET.slice(0, -1)}${SECRET.endsWith('A') ? 'B' : 'A'}` })
    assert.equal(bad.status, 401)
    assert.equal(bad.body.error, 'invalid_client')
    assert.doesNotMatch(JSON.stringify(bad.body), /secret.*(length|prefix|hash)/i, 'the answer says nothing about how close the guess was')
  })

  test('brute force of a client secret at the token endpoint is cut off with 429, the right secret included, per address', async () => {
    const attacker = '203.0.113.7'
    const guard = await startOidcHub([{ clientId: 'app', redirectUris: [APP], secretHash: hashClientSecret(SECRET) }], {}, { trustProxy: true })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 22; i++) {
        const r = await tokenRequest(guard, { grant_type: 'authorization_code', code: 'x', redirect_uri: APP, code_verifier: pkce().verifier }, { id: 'app', secret: generateClientSecret() }, attacker)
        statuses.push(r.status)
        if (r.status === 401) assert.equal(r.body.error, 'invalid_client')
      }
      assert.deepEqual(statuses.slice(0, 20), Array(20).fill(401))
      assert.deepEqual(statuses.slice(20), [429, 429])
      const right = await tokenRequest(guard, { grant_type: 'authorization_code', code: 'x', redirect_uri: APP, code_verifier: pkce().verifier }, { id: 'app', secret: SECRET }, attacker)
      assert.equal(right.status, 429, 'once blocked, even the right secret is not checked: the attacker learns nothing')
      assert.equal(right.headers.get('x-error-code'), 'ERR_RATE_LIMITED')
      assert.ok(Number(right.headers.get('retry-after')) > 0)
      const elsewhere = await tokenRequest(guard, { grant_type: 'authorization_code', code: 'x', redirect_uri: APP, code_verifier: pkce().verifier }, { id: 'app', secret: SECRET }, '198.51.100.1')
      assert.equal(elsewhere.status, 400, 'the real app from its own address gets through (to a bad code)')
      assert.equal(elsewhere.body.error, 'invalid_grant')
    } finally {
      await guard.close()
    }
  })

  test('secrets are compared through a fixed-length hash: any presented length or type is a plain false', () => {
    const hash = hashClientSecret(SECRET)
    assert.equal(verifyClientSecret(hash, SECRET), true)
    for (const guess of ['', 'a', SECRET.slice(0, 10), `${SECRET}x`, 'x'.repeat(10_000), hash, hash.slice(7)]) assert.equal(verifyClientSecret(hash, guess), false)
    for (const odd of [undefined, null, 42, {}, ['a']]) assert.equal(verifyClientSecret(hash, odd), false)
    assert.equal(verifyClientSecret(undefined, ''), false, 'no stored hash matches nothing, not even the empty secret')
    assert.equal(verifyClientSecret('plain-text', 'plain-text'), false, 'a stored value that is not a hash never matches')
  })

  test('the relying party refuses a state or nonce that is not the one it sent (openid-client against this provider)', async () => {
    const a = await signedIn()
    const config = await client.discovery(new URL(hub.origin), 'app', undefined, client.ClientSecretBasic(SECRET), {
      execute: [client.allowInsecureRequests],
      [client.customFetch]: ((url: string, init: RequestInit) => fetch(String(url).replace(hub.origin, hub.url), init)) as never,
    })
    config[client.customFetch] = ((url: string, init: RequestInit) => fetch(String(url).replace(hub.origin, hub.url), init)) as never
    const run = async (sent: { state: string; nonce: string }, expected: { state: string; nonce: string }) => {
      const p = pkce()
      const { back } = await authorize(hub, a, { client_id: 'app', response_type: 'code', scope: 'openid', redirect_uri: APP, code_challenge: p.challenge, code_challenge_method: 'S256', ...sent }, APP)
      return client.authorizationCodeGrant(config, back!, { pkceCodeVerifier: p.verifier, expectedState: expected.state, expectedNonce: expected.nonce, idTokenExpected: true })
    }
    const about = (word: string) => (err: Error & { cause?: unknown }) => {
      assert.match(String((err.cause as Error | undefined)?.message), new RegExp(`unexpected .*"${word}"`))
      return true
    }
    await assert.rejects(run({ state: 'attacker-state', nonce: 'n1-abcdefgh' }, { state: 'my-state-abcd', nonce: 'n1-abcdefgh' }), about('state'))
    await assert.rejects(run({ state: 'my-state-abcd', nonce: 'attacker-nonce' }, { state: 'my-state-abcd', nonce: 'my-nonce-abcd' }), about('nonce'))
    const ok = await run({ state: 'my-state-abcd', nonce: 'my-nonce-abcd' }, { state: 'my-state-abcd', nonce: 'my-nonce-abcd' })
    assert.equal(ok.claims()!.nonce, 'my-nonce-abcd')
  })

  test('the ID token is signed with the hub key only (its alg, its kid) and is for this client only', async () => {
    const a = await signedIn()
    const { query, verifier } = params()
    const { code } = await authorize(hub, a, query, APP)
    const tokens = await tokenRequest(hub, { grant_type: 'authorization_code', code: code!, redirect_uri: APP, code_verifier: verifier }, { id: 'app', secret: SECRET })
    const idToken = String(tokens.body.id_token)
    const header = decodeProtectedHeader(idToken)
    assert.equal(header.alg, hub.ring.signer.alg)
    assert.equal(header.kid, hub.ring.signer.kid)
    const jwks = createRemoteJWKSet(new URL(`${hub.url}/.well-known/jwks.json`))
    const { payload } = await jwtVerify(idToken, jwks, { issuer: hub.origin, audience: 'app', algorithms: [hub.ring.signer.alg] })
    assert.equal(payload.sub, 'u_alice')
    await assert.rejects(jwtVerify(idToken, jwks, { issuer: hub.origin, audience: 'spa' }), /aud/)
    const discovery = (await (await fetch(`${hub.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, [hub.ring.signer.alg], 'no none, no HS256 offered')
    assert.deepEqual(discovery.code_challenge_methods_supported, ['S256'])
    assert.equal(discovery.jwks_uri, `${hub.origin}/.well-known/jwks.json`, "the hub's own JWKS")
  })

  test('an interaction page opened without its cookie (another browser) is a 400 page, not a sign-in', async () => {
    const a = await signedIn()
    const first = await a.get(`${hub.origin}/oidc/auth?${new URLSearchParams(params().query)}`)
    const location = first.headers.get('location')!
    const stranger = agent(hub)
    await signInAtHub(hub, stranger, { sub: 'u_mallory', username: 'mallory', email: 'm@evil.example' })
    const page = await stranger.get(new URL(location, hub.origin).href)
    assert.equal(page.status, 400)
    assert.match(await page.text(), /expired or was started in another browser/)
    for (const bad of ['/oidc/interaction/', '/oidc/interaction/..%2F..', `/oidc/interaction/${'x'.repeat(200)}`]) {
      const r = await stranger.get(`${hub.origin}${bad}`)
      assert.ok(r.status === 404 || r.status === 400, `${bad}: ${r.status}`)
    }
  })

  test('RP-initiated logout needs the confirmation POST with its token: a GET or a forged POST leaves the hub session alone', async () => {
    const a = await signedIn()
    const sub = 'u_alice'
    const before = (await hub.store.listUserSessions(sub, Date.now())).length
    const page = await a.get(`${hub.origin}/oidc/session/end?client_id=app&post_logout_redirect_uri=${encodeURIComponent('http://app.localhost:3999/')}`)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /Sign out/)
    const forged = await a.post(`${hub.origin}/oidc/session/end/confirm`, { logout: 'yes', xsrf: 'guessed' })
    assert.equal(forged.status, 400)
    assert.equal((await hub.store.listUserSessions(sub, Date.now())).length, before, 'no session ended')
    // The person's own click (the page's token) does end it, and clears the hub's cookies.
    const again = await (await a.get(`${hub.origin}/oidc/session/end?client_id=app`)).text()
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(again)![1]!
    const confirmed = await a.post(`${hub.origin}/oidc/session/end/confirm`, { logout: 'yes', xsrf })
    assert.equal(confirmed.status, 303)
    assert.equal((await hub.store.listUserSessions(sub, Date.now())).length, before - 1)
    assert.equal(a.cookies.has(hub.hub.context.cookies.session.name), false, 'hub cookie cleared')
  })
})
