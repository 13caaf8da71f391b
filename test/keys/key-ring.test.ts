import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { JWK } from 'jose'
import { generateKeysConfig, generateSecret, generateSigningKey } from '../../src/keys/generate.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { parseMasterSecret } from '../../src/keys/secret.js'
import { importVerificationKeys } from '../../src/keys/verification-keys.js'
import type { KeysConfig, SigningJwk } from '../../src/keys/config.js'
import { freshKeys, rejectsWith, testKeys, throwsWith } from '../helpers/keys.js'

describe('master secret', () => {
  test('weak secrets are refused with ERR_KEY_WEAK', () => {
    const weak: [string, unknown][] = [
      ['empty', ''],
      ['short (31 bytes)', randomBytes(31).toString('base64url')],
      ['16 bytes', randomBytes(16).toString('base64url')],
      ['"a" × 43', 'a'.repeat(43)],
      ['"A" × 43 (32 zero bytes)', 'A'.repeat(43)],
      ['repeating pattern', Buffer.alloc(32, 'ab').toString('base64url')],
      ['11 distinct bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => i % 11)).toString('base64url')],
      ['standard base64', `${randomBytes(33).toString('base64').replace(/[^+/]/, '+')}`],
      ['padded', `${randomBytes(32).toString('base64url')}=`],
      ['whitespace', ` ${generateSecret()}`],
      ['hex text of 16 bytes', randomBytes(16).toString('hex')],
      ['number', 12345678901234567890],
      ['undefined', undefined],
      ['null', null],
      ['Buffer', randomBytes(32)],
      ['object', { secret: generateSecret() }],
    ]
    for (const [name, secret] of weak) {
      const err = throwsWith(() => parseMasterSecret(secret), 'ERR_KEY_WEAK', name)
      assert.equal(err.detail, 'secret')
      assert.match(err.message, /generateSecret|shared-session init/, 'the message says how to make a good one')
    }
  })

  test('a good secret is accepted and decoded', () => {
    const secret = generateSecret()
    assert.equal(secret.length, 43)
    assert.deepEqual(parseMasterSecret(secret), Buffer.from(secret, 'base64url'))
    const long = randomBytes(64).toString('base64url')
    assert.equal(parseMasterSecret(long).length, 64)
  })

  test('a weak previous secret is refused at load, naming the field', async () => {
    const { config } = await testKeys()
    const err = await rejectsWith(() => loadKeyRing({ ...config, previousSecrets: ['short'] }), 'ERR_KEY_WEAK')
    assert.equal(err.detail, 'keys.previousSecrets[0]')
    const err2 = await rejectsWith(() => loadKeyRing({ ...config, secret: 'short' }), 'ERR_KEY_WEAK')
    assert.equal(err2.detail, 'keys.secret')
  })
})

describe('purpose keys', () => {
  test('handoff, state and csrf keys are 32 bytes, differ from each other and from the master secret', async () => {
    const { config, ring } = await testKeys()
    const master = Buffer.from(config.secret, 'base64url')
    const keys = { handoff: ring.handoff[0]!.key, state: ring.state, csrf: ring.csrf, master }
    for (const [name, key] of Object.entries(keys)) assert.equal(key.length, 32, name)
    const hex = Object.values(keys).map((k) => k.toString('hex'))
    assert.equal(new Set(hex).size, hex.length)
    // The public key id is not a piece of the key it names.
    const id = ring.handoff[0]!.id
    assert.equal(id.length, 4)
    for (const key of Object.values(keys)) assert.equal(key.includes(id), false)
  })

  test('derivation is deterministic per secret and different across secrets', async () => {
    const config = await generateKeysConfig()
    const a = await loadKeyRing(config)
    const b = await loadKeyRing(config)
    const other = await loadKeyRing({ ...config, secret: generateSecret() })
    assert.deepEqual(a.handoff[0], b.handoff[0])
    assert.deepEqual(a.state, b.state)
    assert.notDeepEqual(a.handoff[0]!.key, other.handoff[0]!.key)
    assert.notDeepEqual(a.handoff[0]!.id, other.handoff[0]!.id)
    assert.notDeepEqual(a.csrf, other.csrf)
  })
})

describe('JWKS', () => {
  for (const alg of ['EdDSA', 'ES256'] as const) {
    test(`${alg}: only public parts, each key with kid, alg and use`, async () => {
      const { config, ring } = await testKeys(alg)
      assert.equal(ring.jwks.keys.length, 1)
      const [jwk] = ring.jwks.keys as [JWK]
      assert.equal(jwk.kid, config.signingKeys[0]!.kid)
      assert.equal(jwk.alg, alg)
      assert.equal(jwk.use, 'sig')
      assert.deepEqual(Object.keys(jwk).sort(), (alg === 'EdDSA' ? ['alg', 'crv', 'kid', 'kty', 'use', 'x'] : ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']).sort())
      const text = JSON.stringify(ring.jwks)
      assert.equal(text.includes(config.signingKeys[0]!.d!), false, 'the private scalar never appears')
      assert.equal(text.includes(config.secret), false)
    })
  }

  test('HS256 keys are absent; a mixed ring publishes only its asymmetric keys', async () => {
    const hs = await testKeys('HS256')
    assert.deepEqual(hs.ring.jwks.keys, [])
    const ed = await generateSigningKey('EdDSA')
    const mixed = await loadKeyRing({ ...hs.config, signingKeys: [ed, ...hs.config.signingKeys] })
    assert.equal(mixed.jwks.keys.length, 1)
    assert.equal(mixed.jwks.keys[0]!.kid, ed.kid)
    const text = JSON.stringify(mixed.jwks)
    assert.equal(text.includes(hs.config.signingKeys[0]!.k!), false)
    assert.equal(/"(d|k|p|q|dp|dq|qi)"/.test(text), false)
  })

  test('the JWKS imports back as verification keys', async () => {
    const { ring } = await testKeys('ES256')
    const keys = await importVerificationKeys(ring.jwks)
    assert.equal(keys.get(ring.signer.kid)?.alg, 'ES256')
  })
})

describe('key configuration', () => {
  test('generateKeysConfig produces a config that loads, for every algorithm', async () => {
    for (const alg of ['EdDSA', 'ES256', 'HS256'] as const) {
      const config = await generateKeysConfig({ alg })
      assert.equal(config.signingKeys.length, 1)
      assert.equal(config.signingKeys[0]!.alg, alg)
      assert.match(config.signingKeys[0]!.kid, /^\d{4}-\d{2}-\d{2}\.[A-Za-z0-9_-]{8}$/)
      const ring = await loadKeyRing(JSON.parse(JSON.stringify(config)) as KeysConfig)
      assert.equal(ring.signer.alg, alg)
      assert.equal(ring.signer.kid, config.signingKeys[0]!.kid)
    }
    assert.equal((await generateKeysConfig()).signingKeys[0]!.alg, 'EdDSA', 'EdDSA by default')
  })

  async function refused(mutate: (config: KeysConfig, key: SigningJwk) => KeysConfig, code: 'ERR_KEY_INVALID' | 'ERR_KEY_WEAK', message: string) {
    const { config } = await freshKeys('EdDSA')
    return rejectsWith(() => loadKeyRing(mutate(config, config.signingKeys[0]!)), code, message)
  }

  test('duplicate kid', async () => {
    const { config } = await testKeys('EdDSA')
    const other = await generateSigningKey('EdDSA')
    const err = await rejectsWith(() => loadKeyRing({ ...config, signingKeys: [config.signingKeys[0]!, { ...other, kid: config.signingKeys[0]!.kid }] }), 'ERR_KEY_INVALID')
    assert.match(err.message, /twice/)
    const jwk = (await testKeys('ES256')).ring.jwks.keys[0]!
    await rejectsWith(() => importVerificationKeys({ keys: [jwk, { ...jwk }] }), 'ERR_KEY_INVALID')
  })

  test('alg and kty that do not agree', async () => {
    await refused((c, k) => ({ ...c, signingKeys: [{ ...k, kty: 'EC' }] }), 'ERR_KEY_INVALID', 'EdDSA with kty EC')
    await refused((c, k) => ({ ...c, signingKeys: [{ ...k, alg: 'ES256' }] }), 'ERR_KEY_INVALID', 'OKP key claiming ES256')
    await refused((c, k) => ({ ...c, signingKeys: [{ ...k, alg: 'HS256' }] }), 'ERR_KEY_INVALID', 'OKP key claiming HS256')
    const { config: es } = await testKeys('ES256')
    await rejectsWith(() => loadKeyRing({ ...es, signingKeys: [{ ...es.signingKeys[0]!, alg: 'EdDSA' }] }), 'ERR_KEY_INVALID', 'EC key claiming EdDSA')
  })

  test('wrong curve', async () => {
    await refused((c, k) => ({ ...c, signingKeys: [{ ...k, crv: 'Ed448' }] }), 'ERR_KEY_INVALID', 'Ed448')
    await refused((c, k) => ({ ...c, signingKeys: [{ ...k, crv: 'X25519' }] }), 'ERR_KEY_INVALID', 'X25519')
    const { config: es } = await testKeys('ES256')
    for (const crv of ['P-384', 'secp256k1', undefined]) {
      await rejectsWith(() => loadKeyRing({ ...es, signingKeys: [{ ...es.signingKeys[0]!, crv }] }), 'ERR_KEY_INVALID', String(crv))
    }
  })

  test('unknown or missing alg, missing kid, no keys at all', async () => {
    for (const alg of ['RS256', 'none', 'HS512', undefined, '']) {
      await refused((c, k) => ({ ...c, signingKeys: [{ ...k, alg: alg as SigningJwk['alg'] }] }), 'ERR_KEY_INVALID', `alg ${alg}`)
    }
    for (const kid of ['', undefined, 42]) {
      await refused((c, k) => ({ ...c, signingKeys: [{ ...k, kid: kid as string }] }), 'ERR_KEY_INVALID', `kid ${kid}`)
    }
    await refused((c) => ({ ...c, signingKeys: [] }), 'ERR_KEY_INVALID', 'empty list')
    await refused((c) => ({ ...c, signingKeys: undefined as unknown as SigningJwk[] }), 'ERR_KEY_INVALID', 'missing list')
  })

  test('the first key signs, so it needs its private part; later keys need not', async () => {
    const err = await refused((c, k) => {
      const { d: _d, ...pub } = k
      return { ...c, signingKeys: [pub] }
    }, 'ERR_KEY_INVALID', 'public-only signer')
    assert.match(err.message, /private part/)
    const { config: es } = await freshKeys('ES256')
    const { d: _d, ...esPublic } = es.signingKeys[0]!
    await rejectsWith(() => loadKeyRing({ ...es, signingKeys: [esPublic] }), 'ERR_KEY_INVALID', 'ES256 public-only signer')
    // A verification-only older key is fine.
    const { config } = await freshKeys('EdDSA')
    const older = await generateSigningKey('EdDSA')
    const { d: _d2, ...olderPublic } = older
    const ring = await loadKeyRing({ ...config, signingKeys: [config.signingKeys[0]!, olderPublic] })
    assert.equal(ring.verification.size, 2)
  })

  test('HS256 k shorter than 32 bytes is weak', async () => {
    const { config } = await testKeys('HS256')
    const key = config.signingKeys[0]!
    for (const k of [randomBytes(31).toString('base64url'), randomBytes(16).toString('base64url'), '', undefined, '!!!!'.repeat(16)]) {
      await rejectsWith(() => loadKeyRing({ ...config, signingKeys: [{ ...key, k }] }), 'ERR_KEY_WEAK', `k ${k}`)
    }
  })

  test('HS256 k that is not canonical base64url, or not random, is refused like a master secret', async () => {
    const { config } = await testKeys('HS256')
    const key = config.signingKeys[0]!
    for (const k of ['A'.repeat(43), `${randomBytes(32).toString('base64url')}=`, `${randomBytes(32).toString('base64')}`]) {
      await rejectsWith(() => loadKeyRing({ ...config, signingKeys: [{ ...key, k }] }), 'ERR_KEY_WEAK', `k ${k}`)
    }
  })

  test('key material that does not parse is ERR_KEY_INVALID, not a raw crypto error', async () => {
    await refused((c, k) => ({ ...c, signingKeys: [{ ...k, x: 'not-a-point' }] }), 'ERR_KEY_INVALID', 'bad x')
    await refused((c, k) => ({ ...c, signingKeys: [{ ...k, d: 'AAAA' }] }), 'ERR_KEY_INVALID', 'short d')
  })

  test('a private part that does not belong to the public key is refused at load', async () => {
    // Otherwise every token the hub signs fails verification, discovered only on the first login.
    for (const alg of ['EdDSA', 'ES256'] as const) {
      const { config } = await freshKeys(alg)
      const stranger = await generateSigningKey(alg)
      await rejectsWith(() => loadKeyRing({ ...config, signingKeys: [{ ...config.signingKeys[0]!, d: stranger.d! }] }), 'ERR_KEY_INVALID', alg)
    }
  })

  test('a JWKS that is not a JWKS is ERR_KEY_INVALID; keys for other uses are skipped', async () => {
    for (const jwks of [null, undefined, {}, { keys: 'x' }, []]) {
      await rejectsWith(() => importVerificationKeys(jwks as never), 'ERR_KEY_INVALID', JSON.stringify(jwks))
    }
    const jwk = (await testKeys('EdDSA')).ring.jwks.keys[0]!
    const keys = await importVerificationKeys({ keys: [{ ...jwk, use: 'enc' }] })
    assert.equal(keys.size, 0)
  })
})
