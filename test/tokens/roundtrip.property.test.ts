import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { signLoginToken } from '../../src/tokens/sign.js'
import { verifyLoginToken } from '../../src/tokens/verify.js'
import { SharedSessionError } from '../../src/errors/shared-session-error.js'
import { testRing } from '../helpers/keys.js'
import { AUDIENCE, ISSUER, NOW, VERIFY } from './craft.js'

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

// Any code point (astral planes, combining marks, RTL, control characters);
// lone surrogates excluded: they cannot survive UTF-8 and are not user names.
const text = (maxLength: number) => fc.string({ unit: 'binary', minLength: 1, maxLength })
const user = fc.record(
  {
    sub: text(64),
    username: text(64),
    email: fc.oneof(fc.emailAddress(), text(64)),
    name: text(80),
  },
  { requiredKeys: ['sub', 'username'] },
)

describe('login token properties', () => {
  for (const alg of ['EdDSA', 'ES256', 'HS256'] as const) {
    test(`${alg}: sign/verify round-trips arbitrary users, unicode included`, async () => {
      const ring = await testRing(alg)
      await fc.assert(
        fc.asyncProperty(user, text(43), fc.integer({ min: 1, max: 86_400 }), async (u, sid, ttlSeconds) => {
          const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user: u, sid, ttlSeconds, now: NOW })
          const claims = await verifyLoginToken(ring.verification, token, VERIFY)
          assert.equal(claims.sub, u.sub)
          assert.equal(claims.username, u.username)
          assert.equal(claims.email, u.email)
          assert.equal(claims.name, u.name)
          assert.equal(claims.sid, sid)
          assert.equal(claims.exp - claims.iat, ttlSeconds)
        }),
        { numRuns: alg === 'EdDSA' ? 150 : 60 },
      )
    })
  }

  test('any single-character change to a token is rejected with a token error', async () => {
    const ring = await testRing('EdDSA')
    const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user: { sub: 'u_42', username: 'alice' }, sid: 's', now: NOW })
    // Replacement characters: the base64url alphabet (where most changes stay
    // decodable), the separator, padding, standard-base64 and whitespace.
    const replacement = fc.oneof(
      fc.constantFrom(...BASE64URL.split('')),
      fc.constantFrom('.', '=', '+', '/', ' ', '\n', '\t', '\u00e9', '\u0000'),
    )
    await fc.assert(
      fc.asyncProperty(fc.nat(token.length - 1), replacement, async (at, char) => {
        fc.pre(token[at] !== char)
        const changed = token.slice(0, at) + char + token.slice(at + 1)
        const err = await verifyLoginToken(ring.verification, changed, VERIFY).then(
          () => assert.fail(`accepted with "${char}" at ${at}`),
          (e: unknown) => e,
        )
        assert.ok(err instanceof SharedSessionError, `not a SharedSessionError: ${String(err)}`)
        assert.match(err.code, /^ERR_TOKEN_/)
        assert.ok(err.status >= 400 && err.status < 500)
      }),
      { numRuns: 200 },
    )
  })

  test('every character of the signature, changed to every other base64url character, is rejected', async () => {
    // Exhaustive over the part where "text changed, bytes did not" can happen.
    const ring = await testRing('EdDSA')
    const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user: { sub: 'u_42', username: 'alice' }, sid: 's', now: NOW })
    const start = token.lastIndexOf('.') + 1
    // The last three characters hold the bits that can be non-canonical; a few early ones for contrast.
    for (const at of [start, start + 1, token.length - 3, token.length - 2, token.length - 1]) {
      for (const char of BASE64URL) {
        if (char === token[at]) continue
        const changed = token.slice(0, at) + char + token.slice(at + 1)
        await assert.rejects(verifyLoginToken(ring.verification, changed, VERIFY), (e: unknown) =>
          e instanceof SharedSessionError && (e.code === 'ERR_TOKEN_SIGNATURE' || e.code === 'ERR_TOKEN_MALFORMED'),
        )
      }
    }
  })
})
