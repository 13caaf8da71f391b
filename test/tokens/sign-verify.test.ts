import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeProtectedHeader, decodeJwt } from 'jose'
import { signLoginToken } from '../../src/tokens/sign.js'
import { verifyLoginToken } from '../../src/tokens/verify.js'
import { LOGIN_TOKEN_TYPE } from '../../src/tokens/claims.js'
import { importVerificationKeys } from '../../src/keys/verification-keys.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { rotateSigningKeys } from '../../src/keys/rotate.js'
import type { SigningAlgorithm } from '../../src/keys/config.js'
import { freshKeys, rejectsWith, testRing } from '../helpers/keys.js'
import { AUDIENCE, ISSUER, NOW, NOW_S, VERIFY } from './craft.js'

const user = { sub: 'u_42', username: 'alice', email: 'alice@acme.com', name: 'Alice Liddell' }
const ALGS: SigningAlgorithm[] = ['EdDSA', 'ES256', 'HS256']

describe('login token round trip', () => {
  for (const alg of ALGS) {
    test(`${alg}: signs and verifies with every claim intact`, async () => {
      const ring = await testRing(alg)
      const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: 'sid-1', now: NOW })
      const header = decodeProtectedHeader(token)
      assert.deepEqual(header, { alg, kid: ring.signer.kid, typ: LOGIN_TOKEN_TYPE })
      const claims = await verifyLoginToken(ring.verification, token, VERIFY)
      assert.equal(claims.iss, ISSUER)
      assert.equal(claims.aud, AUDIENCE)
      assert.equal(claims.sub, 'u_42')
      assert.equal(claims.username, 'alice')
      assert.equal(claims.email, 'alice@acme.com')
      assert.equal(claims.name, 'Alice Liddell')
      assert.equal(claims.sid, 'sid-1')
      assert.equal(claims.iat, NOW_S)
      assert.equal(claims.exp, NOW_S + 900, 'default lifetime is 15 minutes')
      assert.match(claims.jti, /^[A-Za-z0-9_-]{22}$/)
    })
  }

  test('optional email and name are left out when the user has none', async () => {
    const ring = await testRing()
    const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user: { sub: 'u_1', username: 'bob' }, sid: 's', now: NOW })
    const payload = decodeJwt(token)
    assert.equal('email' in payload, false)
    assert.equal('name' in payload, false)
    await verifyLoginToken(ring.verification, token, VERIFY)
  })

  test('every token gets its own jti', async () => {
    const ring = await testRing()
    const opts = { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', now: NOW }
    const a = decodeJwt(await signLoginToken(ring, opts))
    const b = decodeJwt(await signLoginToken(ring, opts))
    assert.notEqual(a.jti, b.jti)
  })

  test('an audience list containing this app verifies; one without it does not', async () => {
    const ring = await testRing()
    const token = await signLoginToken(ring, { issuer: ISSUER, audience: ['forum.acme.com', AUDIENCE], user, sid: 's', now: NOW })
    await verifyLoginToken(ring.verification, token, VERIFY)
    await rejectsWith(() => verifyLoginToken(ring.verification, token, { ...VERIFY, audience: 'shop.com' }), 'ERR_TOKEN_AUDIENCE')
  })

  test('the algorithms option narrows what is accepted', async () => {
    const ring = await testRing('EdDSA')
    const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', now: NOW })
    await rejectsWith(() => verifyLoginToken(ring.verification, token, { ...VERIFY, algorithms: ['ES256'] }), 'ERR_TOKEN_ALGORITHM')
  })

  test('a token of one algorithm is unknown to a ring of another', async () => {
    const es = await testRing('ES256')
    const ed = await testRing('EdDSA')
    const token = await signLoginToken(es, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', now: NOW })
    await rejectsWith(() => verifyLoginToken(ed.verification, token, VERIFY), 'ERR_TOKEN_KEY_UNKNOWN')
  })

  test('every token signLoginToken issues is one verifyLoginToken accepts (claim and size bounds agree)', async () => {
    const ring = await testRing()
    for (const u of [{ sub: 'u'.repeat(600), username: 'a' }, { sub: 'u', username: 'a'.repeat(600) }, { sub: 'u', username: 'a', name: 'n'.repeat(9000) }]) {
      const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user: u, sid: 's', now: NOW }).catch((e: unknown) => e)
      if (typeof token !== 'string') continue // refusing at sign time is a correct answer too
      await verifyLoginToken(ring.verification, token, VERIFY)
    }
  })

  test('signing refuses a ttl that is not a positive whole number, and a clock that is not a time', async () => {
    const ring = await testRing()
    for (const ttlSeconds of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await rejectsWith(() => signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', ttlSeconds }), 'ERR_CONFIG_INVALID', `ttl ${ttlSeconds}`)
    }
    for (const now of [Number.NaN, Number.POSITIVE_INFINITY, -1000]) {
      await rejectsWith(() => signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', now }), 'ERR_CONFIG_INVALID', `now ${now}`)
    }
  })
})

describe('consumer path: keys imported from the public JWKS', () => {
  for (const alg of ['EdDSA', 'ES256'] as const) {
    test(`${alg}: a token verifies against keys imported from ring.jwks (after JSON transport)`, async () => {
      const ring = await testRing(alg)
      const published = JSON.parse(JSON.stringify(ring.jwks)) as typeof ring.jwks
      const keys = await importVerificationKeys(published)
      assert.deepEqual([...keys.keys()], [ring.signer.kid])
      const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', now: NOW })
      const claims = await verifyLoginToken(keys, token, VERIFY)
      assert.equal(claims.username, 'alice')
    })
  }

  test('HS256 keys are not published, so a JWKS consumer knows no key for them', async () => {
    const ring = await testRing('HS256')
    const keys = await importVerificationKeys(ring.jwks)
    assert.equal(keys.size, 0)
    const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', now: NOW })
    await rejectsWith(() => verifyLoginToken(keys, token, VERIFY), 'ERR_TOKEN_KEY_UNKNOWN')
  })
})

describe('signing key rotation', () => {
  for (const alg of ALGS) {
    test(`${alg}: old tokens verify after rotation, new tokens carry the new kid, retired keys are unknown`, async () => {
      const { config, ring: before } = await freshKeys(alg)
      const old = await signLoginToken(before, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', now: NOW })

      const rotated = await rotateSigningKeys(config)
      const after = await loadKeyRing(rotated)
      assert.notEqual(after.signer.kid, before.signer.kid)
      assert.equal(after.signer.alg, alg, 'rotation keeps the algorithm by default')
      assert.equal((await verifyLoginToken(after.verification, old, VERIFY)).username, 'alice')

      const fresh = await signLoginToken(after, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', now: NOW })
      assert.equal(decodeProtectedHeader(fresh).kid, after.signer.kid)
      await verifyLoginToken(after.verification, fresh, VERIFY)
      // Members that have not reloaded yet do not know the new key.
      await rejectsWith(() => verifyLoginToken(before.verification, fresh, VERIFY), 'ERR_TOKEN_KEY_UNKNOWN')

      const retired = await loadKeyRing(await rotateSigningKeys(rotated, { keep: 1 }))
      assert.equal(retired.verification.size, 1)
      await rejectsWith(() => verifyLoginToken(retired.verification, old, VERIFY), 'ERR_TOKEN_KEY_UNKNOWN')
      await rejectsWith(() => verifyLoginToken(retired.verification, fresh, VERIFY), 'ERR_TOKEN_KEY_UNKNOWN')
    })
  }

  test('rotation keeps at most `keep` keys, newest first, and the JWKS follows', async () => {
    let { config } = await freshKeys('EdDSA')
    const kids = [config.signingKeys[0]!.kid]
    for (let i = 0; i < 4; i++) {
      config = await rotateSigningKeys(config)
      kids.unshift(config.signingKeys[0]!.kid)
    }
    assert.deepEqual(config.signingKeys.map((k) => k.kid), kids.slice(0, 3))
    const ring = await loadKeyRing(config)
    assert.deepEqual(ring.jwks.keys.map((k) => k.kid), kids.slice(0, 3))
  })

  test('moving from HS256 to EdDSA publishes only the EdDSA key; both still verify at the hub', async () => {
    const { config, ring: hs } = await freshKeys('HS256')
    const old = await signLoginToken(hs, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', now: NOW })
    const ring = await loadKeyRing(await rotateSigningKeys(config, { alg: 'EdDSA' }))
    assert.equal(ring.signer.alg, 'EdDSA')
    assert.deepEqual(ring.jwks.keys.map((k) => k.kid), [ring.signer.kid])
    await verifyLoginToken(ring.verification, old, VERIFY)
  })
})
