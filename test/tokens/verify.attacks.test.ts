import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey } from 'node:crypto'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { signLoginToken } from '../../src/tokens/sign.js'
import { verifyLoginToken } from '../../src/tokens/verify.js'
import { LOGIN_TOKEN_TYPE } from '../../src/tokens/claims.js'
import { importVerificationKeys } from '../../src/keys/verification-keys.js'
import type { KeyRing } from '../../src/keys/key-ring.js'
import type { SigningAlgorithm } from '../../src/keys/config.js'
import { rejectsWith, rejectsWithOneOf, testKeys, testRing } from '../helpers/keys.js'
import { AUDIENCE, ISSUER, NOW, VERIFY, b64u, baseClaims, hmacToken, ringHeader, signRaw, signWithRing, withPart } from './craft.js'

const user = { sub: 'u_42', username: 'alice' }

function genuine(ring: KeyRing): Promise<string> {
  return signLoginToken(ring, { issuer: ISSUER, audience: AUDIENCE, user, sid: 'sid-1', now: NOW })
}

function verify(ring: KeyRing, token: unknown): Promise<unknown> {
  return verifyLoginToken(ring.verification, token, VERIFY)
}

/** Flip the low bit of the character at `index` within the base64url alphabet (stays base64url). */
function flipChar(text: string, index: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const at = alphabet.indexOf(text[index]!)
  return text.slice(0, index) + alphabet[at ^ 0b100000] + text.slice(index + 1)
}

describe('tampering with a genuine token', () => {
  for (const alg of ['EdDSA', 'ES256', 'HS256'] as const) {
    test(`${alg}: changed header, payload or signature is refused`, async () => {
      const ring = await testRing(alg)
      const token = await genuine(ring)
      const [h, p, s] = token.split('.') as [string, string, string]

      // Header still valid JSON naming the same key, but different bytes: signature breaks.
      const header2 = b64u(JSON.stringify({ ...ringHeader(ring), extra: 1 }))
      await rejectsWith(() => verify(ring, `${header2}.${p}.${s}`), 'ERR_TOKEN_SIGNATURE', 'header')

      // Payload re-signed by nobody: the attacker makes himself someone else.
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
      const forged = b64u(JSON.stringify({ ...payload, sub: 'admin', username: 'admin' }))
      await rejectsWith(() => verify(ring, `${h}.${forged}.${s}`), 'ERR_TOKEN_SIGNATURE', 'payload')
      await rejectsWith(() => verify(ring, withPart(token, 1, flipChar(p, 10))), 'ERR_TOKEN_SIGNATURE', 'payload char')

      // Signature bytes changed (a high bit of an early character).
      await rejectsWith(() => verify(ring, withPart(token, 2, flipChar(s, 3))), 'ERR_TOKEN_SIGNATURE', 'signature')
      await rejectsWith(() => verify(ring, withPart(token, 2, '')), 'ERR_TOKEN_SIGNATURE', 'empty signature')
    })
  }

  test('truncated tokens are refused', async () => {
    const ring = await testRing()
    const token = await genuine(ring)
    const [h, p, s] = token.split('.') as [string, string, string]
    // Whole bytes missing from the signature, re-encoded canonically: well-formed but wrong.
    const sig = Buffer.from(s, 'base64url')
    for (const drop of [1, 2, 3, 32, 63]) {
      await rejectsWith(() => verify(ring, `${h}.${p}.${b64u(sig.subarray(0, sig.length - drop))}`), 'ERR_TOKEN_SIGNATURE', `minus ${drop} bytes`)
    }
    // Characters cut off the text: either a non-canonical spelling or a short signature.
    for (let cut = 1; cut < s.length; cut++) {
      await rejectsWithOneOf(() => verify(ring, `${h}.${p}.${s.slice(0, -cut)}`), ['ERR_TOKEN_MALFORMED', 'ERR_TOKEN_SIGNATURE'], `minus ${cut} chars`)
    }
    // A length no base64url text can have.
    await rejectsWith(() => verify(ring, `${h}.${p}.${s.slice(0, -1)}`), 'ERR_TOKEN_MALFORMED')
    // Parts missing altogether.
    await rejectsWith(() => verify(ring, `${h}.${p}`), 'ERR_TOKEN_MALFORMED')
    await rejectsWith(() => verify(ring, h), 'ERR_TOKEN_MALFORMED')
    await rejectsWith(() => verify(ring, token.slice(0, h.length - 3)), 'ERR_TOKEN_MALFORMED')
  })
})

describe('re-encoded tokens (same bytes, different text) are refused', () => {
  // A verifier that accepts several spellings of one token lets a denylisted
  // or logged token be replayed under a "new" string; only the canonical
  // unpadded base64url spelling is accepted.
  const respell: [string, (part: string) => string][] = [
    ['padding added', (x) => x + '='.repeat((4 - (x.length % 4)) % 4 || 2)],
    ['standard base64 alphabet', (x) => x.replace(/-/g, '+').replace(/_/g, '/') + (x.includes('-') || x.includes('_') ? '' : '+')],
    ['space inside', (x) => `${x.slice(0, 4)} ${x.slice(4)}`],
    ['trailing newline', (x) => `${x}\n`],
    ['tab inside', (x) => `${x.slice(0, 8)}\t${x.slice(8)}`],
  ]
  for (const [name, change] of respell) {
    for (const [index, part] of [[0, 'header'], [1, 'payload'], [2, 'signature']] as const) {
      test(`${part}: ${name}`, async () => {
        const ring = await testRing()
        const token = await genuine(ring)
        const changed = withPart(token, index, change(token.split('.')[index]!))
        assert.notEqual(changed, token)
        // The payload is part of the signing input, so re-spelling it breaks the signature;
        // header and signature re-spellings must be caught as malformed.
        const codes = index === 1 ? (['ERR_TOKEN_MALFORMED', 'ERR_TOKEN_SIGNATURE'] as const) : (['ERR_TOKEN_MALFORMED'] as const)
        await rejectsWithOneOf(() => verify(ring, changed), codes, `${part} ${name}`)
      })
    }
  }

  test('signature: a non-canonical last character (same bytes) is refused', async () => {
    const ring = await testRing('EdDSA')
    const token = await genuine(ring)
    const s = token.split('.')[2]!
    // 64 bytes = 86 characters; the last character carries 4 data bits and 2 zero bits.
    assert.equal(s.length, 86)
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = alphabet.indexOf(s.at(-1)!)
    assert.equal(last & 0b11, 0)
    const sibling = s.slice(0, -1) + alphabet[last | 0b01]
    assert.deepEqual(Buffer.from(sibling, 'base64url'), Buffer.from(s, 'base64url'), 'decodes to the same signature bytes')
    await rejectsWith(() => verify(ring, withPart(token, 2, sibling)), 'ERR_TOKEN_MALFORMED')
  })
})

describe('keys and algorithms come only from configuration', () => {
  test('signed by another key with the same kid', async () => {
    for (const alg of ['EdDSA', 'ES256', 'HS256'] as const) {
      const ring = await testRing(alg)
      const attacker = alg === 'HS256' ? new Uint8Array(32).fill(7) : (await generateKeyPair(alg)).privateKey
      const token = await signRaw(attacker, ringHeader(ring), baseClaims())
      await rejectsWith(() => verify(ring, token), 'ERR_TOKEN_SIGNATURE', alg)
    }
  })

  test('alg "none": unsigned token with and without the trailing dot', async () => {
    const ring = await testRing()
    const none = `${b64u(JSON.stringify({ alg: 'none', kid: ring.signer.kid, typ: LOGIN_TOKEN_TYPE }))}.${b64u(JSON.stringify(baseClaims()))}`
    await rejectsWith(() => verify(ring, `${none}.`), 'ERR_TOKEN_ALGORITHM')
    await rejectsWith(() => verify(ring, none), 'ERR_TOKEN_MALFORMED')
    for (const alg of ['None', 'NONE', 'nOnE', '', null, 42]) {
      const t = `${b64u(JSON.stringify({ alg, kid: ring.signer.kid, typ: LOGIN_TOKEN_TYPE }))}.${b64u(JSON.stringify(baseClaims()))}.`
      await rejectsWith(() => verify(ring, t), 'ERR_TOKEN_ALGORITHM', String(alg))
    }
  })

  for (const alg of ['EdDSA', 'ES256'] as const) {
    test(`${alg}: HS256 signed with the public key as HMAC secret (algorithm confusion)`, async () => {
      const { ring } = await testKeys(alg)
      const jwk = ring.jwks.keys[0] as JWK & { x: string }
      const publicKey = createPublicKey({ key: { ...jwk }, format: 'jwk' })
      const secrets: [string, Uint8Array | string][] = [
        ['JWK x text', jwk.x],
        ['JWK x bytes', Buffer.from(jwk.x, 'base64url')],
        ['JWK JSON', JSON.stringify(jwk)],
        ['SPKI DER', publicKey.export({ format: 'der', type: 'spki' })],
        ['SPKI PEM', publicKey.export({ format: 'pem', type: 'spki' }) as string],
      ]
      const consumer = await importVerificationKeys(ring.jwks)
      for (const [name, secret] of secrets) {
        const token = hmacToken(secret, { alg: 'HS256', kid: ring.signer.kid, typ: LOGIN_TOKEN_TYPE }, baseClaims())
        await rejectsWith(() => verify(ring, token), 'ERR_TOKEN_ALGORITHM', name)
        await rejectsWith(() => verifyLoginToken(consumer, token, VERIFY), 'ERR_TOKEN_ALGORITHM', `consumer ${name}`)
        // Even told only HS256 is fine, the key pins its own algorithm.
        await rejectsWith(() => verifyLoginToken(ring.verification, token, { ...VERIFY, algorithms: ['HS256'] }), 'ERR_TOKEN_ALGORITHM', name)
      }
    })
  }

  test('EdDSA header on an ES256 key and the reverse are refused', async () => {
    for (const [ringAlg, headerAlg] of [['ES256', 'EdDSA'], ['EdDSA', 'ES256']] as const) {
      const ring = await testRing(ringAlg)
      const attacker = (await generateKeyPair(headerAlg)).privateKey
      const token = await signRaw(attacker, { alg: headerAlg, kid: ring.signer.kid, typ: LOGIN_TOKEN_TYPE }, baseClaims())
      await rejectsWith(() => verify(ring, token), 'ERR_TOKEN_ALGORITHM', `${headerAlg} on ${ringAlg}`)
    }
  })

  test('RS256, PS256, ES384 and HS512 are not accepted', async () => {
    const ring = await testRing()
    for (const alg of ['RS256', 'PS256', 'ES384'] as const) {
      const { privateKey } = await generateKeyPair(alg)
      const token = await signRaw(privateKey, { alg, kid: ring.signer.kid, typ: LOGIN_TOKEN_TYPE }, baseClaims())
      await rejectsWith(() => verify(ring, token), 'ERR_TOKEN_ALGORITHM', alg)
    }
    const hs512 = await signRaw(new Uint8Array(64).fill(1), { alg: 'HS512', kid: ring.signer.kid, typ: LOGIN_TOKEN_TYPE }, baseClaims())
    await rejectsWith(() => verify(ring, hs512), 'ERR_TOKEN_ALGORITHM', 'HS512')
  })

  test('an embedded "jwk" header with the attacker\'s own key is ignored', async () => {
    const ring = await testRing()
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true })
    const jwk = { ...(await exportJWK(publicKey)), kid: 'evil', alg: 'EdDSA' }
    const own = await signRaw(privateKey, { alg: 'EdDSA', kid: 'evil', typ: LOGIN_TOKEN_TYPE, jwk }, baseClaims())
    await rejectsWith(() => verify(ring, own), 'ERR_TOKEN_KEY_UNKNOWN')
    const stolenKid = await signRaw(privateKey, { alg: 'EdDSA', kid: ring.signer.kid, typ: LOGIN_TOKEN_TYPE, jwk }, baseClaims())
    await rejectsWith(() => verify(ring, stolenKid), 'ERR_TOKEN_SIGNATURE')
    const noKid = await signRaw(privateKey, { alg: 'EdDSA', typ: LOGIN_TOKEN_TYPE, jwk }, baseClaims())
    await rejectsWith(() => verify(ring, noKid), 'ERR_TOKEN_KEY_UNKNOWN')
  })

  test('"jku", "x5u" and "x5c" headers are ignored, not followed', async () => {
    const ring = await testRing()
    const pointers = { jku: 'https://evil.example/jwks.json', x5u: 'https://evil.example/cert.pem', x5c: ['MIIBevil'] }
    const { privateKey } = await generateKeyPair('EdDSA')
    const unknown = await signRaw(privateKey, { alg: 'EdDSA', kid: 'evil', typ: LOGIN_TOKEN_TYPE, ...pointers }, baseClaims())
    await rejectsWith(() => verify(ring, unknown), 'ERR_TOKEN_KEY_UNKNOWN')
    const stolenKid = await signRaw(privateKey, { alg: 'EdDSA', kid: ring.signer.kid, typ: LOGIN_TOKEN_TYPE, ...pointers }, baseClaims())
    await rejectsWith(() => verify(ring, stolenKid), 'ERR_TOKEN_SIGNATURE')
    // Genuinely signed by the ring's key and ALSO carrying the pointers: accepted,
    // which shows the headers are never parsed or fetched.
    const { publicKey } = await generateKeyPair('EdDSA', { extractable: true })
    const decoy = { ...pointers, jwk: await exportJWK(publicKey) }
    const claims = await verify(ring, await signWithRing(ring, baseClaims(), decoy))
    assert.equal((claims as { username: string }).username, 'alice')
  })

  test('unknown, missing and odd kids are refused as unknown keys', async () => {
    const ring = await testRing()
    for (const kid of ['nope', '', undefined, 42, null, ['x'], { a: 1 }, '__proto__', 'constructor', 'toString']) {
      const token = await signWithRing(ring, baseClaims(), { kid })
      await rejectsWith(() => verify(ring, token), 'ERR_TOKEN_KEY_UNKNOWN', `kid ${JSON.stringify(kid)}`)
    }
  })

  test('a "crit" header the verifier does not understand is refused', async () => {
    const ring = await testRing()
    const token = `${b64u(JSON.stringify({ ...ringHeader(ring), crit: ['exp'] }))}.${b64u(JSON.stringify(baseClaims()))}.AAAA`
    await rejectsWith(() => verify(ring, token), 'ERR_TOKEN_MALFORMED')
  })
})

describe('typ is checked, so other JWTs from the same key do not pass', () => {
  for (const alg of ['EdDSA', 'ES256', 'HS256'] as SigningAlgorithm[]) {
    test(`${alg}: typ JWT, at+jwt, application/… form, other case, missing`, async () => {
      const ring = await testRing(alg)
      for (const typ of ['JWT', 'at+jwt', 'application/shared-session+jwt', 'Shared-Session+JWT', 'shared-session', undefined, '', 7]) {
        const token = await signWithRing(ring, baseClaims(), { typ })
        await rejectsWith(() => verify(ring, token), 'ERR_TOKEN_TYPE', `typ ${JSON.stringify(typ)}`)
      }
      // The control: the same construction with the right typ verifies.
      await verify(ring, await signWithRing(ring, baseClaims()))
    })
  }
})

describe('input that is not a token', () => {
  test('non-strings, oversized and garbage strings are ERR_TOKEN_MALFORMED, never a TypeError', async () => {
    const ring = await testRing()
    const token = await genuine(ring)
    const inputs: unknown[] = [
      undefined, null, 0, 42, Number.NaN, true, {}, [], [token], { toString: () => token }, new String(token),
      Buffer.from(token), Symbol('t'), 10n, () => token,
      '', '.', '..', '...', 'a.b.c', 'a.b.c.d', `${token}.`, `.${token}`, token.replace(/\./g, '..'),
      `${b64u('null')}.e30.AAAA`, `${b64u('[]')}.e30.AAAA`, `${b64u('"x"')}.e30.AAAA`, `${b64u('{')}.e30.AAAA`,
      `${b64u(Buffer.from([0xff, 0xfe, 0x7b]))}.e30.AAAA`, `${b64u('{"alg":"EdDSA"')}.e30.AAAA`,
      'x'.repeat(8193), `${token}${'A'.repeat(8192)}`, 'é.é.é', '\u0000.\u0000.\u0000',
    ]
    for (const input of inputs) {
      await rejectsWith(() => verify(ring, input), 'ERR_TOKEN_MALFORMED', typeof input === 'string' ? JSON.stringify(input.slice(0, 40)) : String(typeof input))
    }
  })

  test('a header-valid token whose payload is not a JSON object is refused as malformed', async () => {
    const ring = await testRing()
    for (const payload of ['[]', 'null', '"alice"', '42', '{', 'not json', '']) {
      const token = await signWithRing(ring, payload)
      await rejectsWith(() => verify(ring, token), 'ERR_TOKEN_MALFORMED', payload)
    }
  })

  test('a genuinely signed token longer than 8 KiB is refused before parsing', async () => {
    const ring = await testRing()
    const big = await signWithRing(ring, baseClaims({ name: 'n'.repeat(9000) }))
    assert.ok(big.length > 8192)
    await rejectsWith(() => verify(ring, big), 'ERR_TOKEN_MALFORMED')
  })
})
