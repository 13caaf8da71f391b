import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { signLoginToken } from '../../src/tokens/sign.js'
import { createTokenVerifier } from '../../src/tokens/verifier.js'
import type { VerificationKeys } from '../../src/keys/verification-keys.js'
import { testRing } from '../helpers/keys.js'

const ISSUER = 'https://auth.acme.example'
const AUDIENCE = 'acme.example'
const user = { sub: 'u_1', username: 'alice' }

/** Keys that count how often a signature is really checked (each full verify looks the key up once). */
function counting(keys: VerificationKeys): { keys: VerificationKeys; lookups: () => number } {
  let n = 0
  const wrapped = new Map(keys)
  const get = wrapped.get.bind(wrapped)
  wrapped.get = (kid: string) => {
    n++
    return get(kid)
  }
  return { keys: wrapped, lookups: () => n }
}

describe('createTokenVerifier: a cache of verified tokens', () => {
  test('a token is verified once, then served from the cache until its exp', async () => {
    const ring = await testRing()
    const now = Date.now()
    const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', ttlSeconds: 60, now })
    const { keys, lookups } = counting(ring.verification)
    const verify = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE })
    for (let i = 0; i < 5; i++) assert.equal((await verify(keys, token, now)).username, 'alice')
    assert.equal(lookups(), 1)
    await assert.rejects(verify(keys, token, now + 61_000 + 31_000), { code: 'ERR_TOKEN_EXPIRED' }, 'past exp (and the clock tolerance) the cache does not answer')
    assert.equal(lookups(), 2)
  })

  test('cached() answers only a token verified before, only until its exp, and never a near miss', async () => {
    const ring = await testRing()
    const now = Date.now()
    const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', ttlSeconds: 60, now })
    const verify = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE })
    assert.equal(verify.cached(token, now), undefined, 'not verified yet: no answer without the signature check')
    await verify(ring.verification, token, now)
    assert.equal(verify.cached(token, now)?.username, 'alice')
    assert.equal(verify.cached(`${token}x`, now), undefined, 'another string is another token')
    assert.equal(verify.cached(token, now + 61_000), undefined, 'past exp the cache does not answer')
    assert.equal(verify.cached(token, now), undefined, 'and the expired entry is gone')
  })

  test("a cached token's signature glued to other claims is verified in full, and refused", async () => {
    const ring = await testRing()
    const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's' })
    const verify = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE })
    await verify(ring.verification, token)
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, username: 'mallory', sub: 'u_2' })).toString('base64url')}.${signature}`
    await assert.rejects(verify(ring.verification, forged), { code: 'ERR_TOKEN_SIGNATURE' })
  })

  test('a refused token is never cached, and the cache is bounded', async () => {
    const ring = await testRing()
    const verify = createTokenVerifier({ issuer: ISSUER, audience: 'elsewhere', cacheSize: 2 })
    const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's' })
    for (let i = 0; i < 2; i++) await assert.rejects(verify(ring.verification, token), { code: 'ERR_TOKEN_AUDIENCE' })
    const ok = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, cacheSize: 2 })
    const tokens = await Promise.all([1, 2, 3].map((i) => signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: `s${i}` })))
    const { keys, lookups } = counting(ring.verification)
    for (const t of tokens) await ok(keys, t)
    await ok(keys, tokens[0]!)
    assert.equal(lookups(), 4, 'the oldest entry was evicted by the third token, so the first is verified again')
    await ok(keys, tokens[2]!)
    assert.equal(lookups(), 4, 'the newest is still cached')
  })
})
