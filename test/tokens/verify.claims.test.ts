import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { signLoginToken } from '../../src/tokens/sign.js'
import { verifyLoginToken } from '../../src/tokens/verify.js'
import type { ErrorCode } from '../../src/errors/codes.js'
import { rejectsWith, testRing } from '../helpers/keys.js'
import { AUDIENCE, ISSUER, NOW, NOW_S, VERIFY, baseClaims, signWithRing } from './craft.js'

const user = { sub: 'u_42', username: 'alice' }

async function verifyClaims(payload: string | Record<string, unknown>, options = VERIFY): Promise<unknown> {
  const ring = await testRing()
  return verifyLoginToken(ring.verification, await signWithRing(ring, payload), options)
}

/** Payload JSON text with one claim spelled exactly as given (so `1e309` survives). */
function rawExp(literal: string): string {
  const { exp: _exp, ...rest } = baseClaims()
  return `${JSON.stringify(rest).slice(0, -1)},"exp":${literal}}`
}

describe('issuer and audience', () => {
  test('wrong iss', async () => {
    for (const iss of ['https://evil.example', 'https://auth.acme.com/', 'HTTPS://AUTH.ACME.COM', '', 42, [ISSUER]]) {
      await rejectsWith(() => verifyClaims(baseClaims({ iss })), 'ERR_TOKEN_ISSUER', JSON.stringify(iss))
    }
  })

  test('wrong aud', async () => {
    for (const aud of ['shop.com', 'ACME.COM', 'acme.com.evil.example', '', [], ['shop.com'], 42]) {
      await rejectsWith(() => verifyClaims(baseClaims({ aud })), 'ERR_TOKEN_AUDIENCE', JSON.stringify(aud))
    }
  })

  test('a token for one app is refused by another (signLoginToken → other audience)', async () => {
    const ring = await testRing()
    const token = await signLoginToken(ring, { issuer: ISSUER, audience: 'forum.acme.com', user, sid: 's', now: NOW })
    await rejectsWith(() => verifyLoginToken(ring.verification, token, VERIFY), 'ERR_TOKEN_AUDIENCE')
  })
})

describe('time claims', () => {
  test('expired, with the clock tolerance honoured at the edge', async () => {
    const ring = await testRing()
    const token = await signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', ttlSeconds: 60, now: NOW })
    const exp = NOW + 60_000
    await verifyLoginToken(ring.verification, token, { ...VERIFY, now: exp + 29_000 })
    await rejectsWith(() => verifyLoginToken(ring.verification, token, { ...VERIFY, now: exp + 30_000 }), 'ERR_TOKEN_EXPIRED')
    await rejectsWith(() => verifyLoginToken(ring.verification, token, { ...VERIFY, now: exp + 3_600_000 }), 'ERR_TOKEN_EXPIRED')
    await rejectsWith(
      () => verifyLoginToken(ring.verification, token, { ...VERIFY, now: exp + 1_000, clockToleranceSeconds: 0 }),
      'ERR_TOKEN_EXPIRED',
    )
  })

  test('iat in the future beyond the tolerance', async () => {
    const ring = await testRing()
    const ahead = (s: number) => signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: 's', now: NOW + s * 1000 })
    await verifyLoginToken(ring.verification, await ahead(30), VERIFY)
    await rejectsWith(async () => verifyLoginToken(ring.verification, await ahead(31), VERIFY), 'ERR_TOKEN_NOT_YET_VALID')
    await rejectsWith(async () => verifyLoginToken(ring.verification, await ahead(86_400), VERIFY), 'ERR_TOKEN_NOT_YET_VALID')
  })

  test('nbf in the future', async () => {
    await verifyClaims(baseClaims({ nbf: NOW_S + 30 }))
    await rejectsWith(() => verifyClaims(baseClaims({ nbf: NOW_S + 31 })), 'ERR_TOKEN_NOT_YET_VALID')
    await rejectsWith(() => verifyClaims(baseClaims({ nbf: NOW_S + 600 })), 'ERR_TOKEN_NOT_YET_VALID')
  })

  const badExp: [string, string, ErrorCode][] = [
    ['a string', JSON.stringify(String(NOW_S + 900)), 'ERR_TOKEN_CLAIM_INVALID'],
    ['1e309 (Infinity after JSON.parse)', '1e309', 'ERR_TOKEN_CLAIM_INVALID'],
    ['a float', String(NOW_S + 900.5), 'ERR_TOKEN_CLAIM_INVALID'],
    ['beyond safe integers', '9007199254740993', 'ERR_TOKEN_CLAIM_INVALID'],
    ['null', 'null', 'ERR_TOKEN_CLAIM_INVALID'],
    ['an array', `[${NOW_S + 900}]`, 'ERR_TOKEN_CLAIM_INVALID'],
    ['negative', '-1', 'ERR_TOKEN_EXPIRED'],
    ['-1e309 (-Infinity)', '-1e309', 'ERR_TOKEN_EXPIRED'],
    ['equal to iat', String(NOW_S), 'ERR_TOKEN_CLAIM_INVALID'],
    ['more than a day after iat', String(NOW_S + 86_401), 'ERR_TOKEN_CLAIM_INVALID'],
  ]
  for (const [name, literal, code] of badExp) {
    test(`exp as ${name}`, async () => {
      await rejectsWith(() => verifyClaims(rawExp(literal)), code)
    })
  }

  test('exp missing', async () => {
    const { exp: _exp, ...claims } = baseClaims()
    await rejectsWith(() => verifyClaims(claims), 'ERR_TOKEN_CLAIM_INVALID')
  })

  test('iat and nbf that are not whole numbers', async () => {
    for (const iat of ['1e309', '-1e309', String(NOW_S + 0.5), '"now"', 'null']) {
      const { iat: _iat, ...rest } = baseClaims()
      const payload = `${JSON.stringify(rest).slice(0, -1)},"iat":${iat}}`
      await rejectsWith(() => verifyClaims(payload), 'ERR_TOKEN_CLAIM_INVALID', `iat ${iat}`)
    }
    for (const nbf of [String(NOW_S - 0.5), '"0"', '1e309']) {
      const payload = `${JSON.stringify(baseClaims()).slice(0, -1)},"nbf":${nbf}}`
      await rejectsWith(
        () => verifyClaims(payload),
        nbf === '1e309' ? 'ERR_TOKEN_NOT_YET_VALID' : 'ERR_TOKEN_CLAIM_INVALID',
        `nbf ${nbf}`,
      )
    }
  })

  test('maxLifetimeSeconds narrows the accepted lifetime', async () => {
    await verifyClaims(baseClaims({ exp: NOW_S + 600 }), { ...VERIFY, maxLifetimeSeconds: 600 })
    await rejectsWith(() => verifyClaims(baseClaims({ exp: NOW_S + 601 }), { ...VERIFY, maxLifetimeSeconds: 600 }), 'ERR_TOKEN_CLAIM_INVALID')
  })
})

describe('required claims', () => {
  const missing: [string, ErrorCode][] = [
    ['iss', 'ERR_TOKEN_ISSUER'],
    ['aud', 'ERR_TOKEN_AUDIENCE'],
    ['sub', 'ERR_TOKEN_CLAIM_INVALID'],
    ['iat', 'ERR_TOKEN_CLAIM_INVALID'],
    ['exp', 'ERR_TOKEN_CLAIM_INVALID'],
    ['jti', 'ERR_TOKEN_CLAIM_INVALID'],
    ['sid', 'ERR_TOKEN_CLAIM_INVALID'],
    ['username', 'ERR_TOKEN_CLAIM_INVALID'],
  ]
  for (const [claim, code] of missing) {
    test(`missing ${claim}`, async () => {
      const claims = baseClaims()
      delete claims[claim]
      const err = await rejectsWith(() => verifyClaims(claims), code)
      assert.equal(err.detail, claim)
    })
  }

  test('string claims of the wrong type, empty or overlong', async () => {
    for (const claim of ['sub', 'jti', 'sid', 'username']) {
      for (const value of ['', 42, null, ['alice'], { a: 1 }, true, 'x'.repeat(513)]) {
        const err = await rejectsWith(() => verifyClaims(baseClaims({ [claim]: value })), 'ERR_TOKEN_CLAIM_INVALID', `${claim}=${JSON.stringify(value).slice(0, 20)}`)
        assert.equal(err.detail, claim)
      }
    }
    for (const claim of ['email', 'name']) {
      for (const value of [42, null, ['a@b'], { a: 1 }, false]) {
        await rejectsWith(() => verifyClaims(baseClaims({ [claim]: value })), 'ERR_TOKEN_CLAIM_INVALID', `${claim}=${JSON.stringify(value)}`)
      }
    }
  })

  test('a complete claim set verifies (control for the cases above)', async () => {
    const claims = (await verifyClaims(baseClaims({ email: 'a@acme.com', name: 'A' }))) as Record<string, unknown>
    assert.equal(claims.username, 'alice')
  })
})
