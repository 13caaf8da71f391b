import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { newConfig, type DeploymentConfig } from '../../src/config/config-file.js'
import { memberConfig, memberOptions } from '../../src/config/member-config.js'
import { sealHandoff } from '../../src/handoff/seal.js'
import { openHandoff } from '../../src/handoff/open.js'
import { createHub } from '../../src/hub/create-hub.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { rotateSecret, rotateSigningKeys } from '../../src/keys/rotate.js'
import { createMember } from '../../src/member/create-member.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { signLoginToken } from '../../src/tokens/sign.js'
import { verifyLoginToken } from '../../src/tokens/verify.js'
import { rejectsWith, throwsWith } from '../helpers/keys.js'

const HUB = 'https://auth.acme.example'
const ref = () => randomBytes(32).toString('base64url')

async function deployment(): Promise<DeploymentConfig> {
  const config = await newConfig({ origin: HUB, parentDomain: 'acme.example' })
  config.sites = [
    { name: 'forum', origin: 'https://forum.acme.example' },
    { name: 'shop', origin: 'https://shop.example' },
    { name: 'flask', origin: 'https://flask.acme.example', member: false },
  ]
  config.store = 'redis://127.0.0.1:6379/0'
  return config
}

describe('member configuration: what a member needs and nothing more', () => {
  test('holds no master secret and no private signing key, in any form', async () => {
    const config = await deployment()
    config.keys = rotateSecret(await rotateSigningKeys(config.keys))
    const text = JSON.stringify(memberConfig(config, 'shop'))
    for (const secret of [config.keys.secret, ...config.keys.previousSecrets!]) assert.ok(!text.includes(secret), 'no master secret, current or previous')
    for (const key of config.keys.signingKeys) {
      assert.ok(key.d && !text.includes(key.d), `no private part of ${key.kid}`)
      assert.ok(text.includes(key.x!), `the public part of ${key.kid} is there`)
    }
    assert.doesNotMatch(text, /"d"|"secret"|"previousSecrets"|"signingKeys"/)
  })

  test('carries the site, the hub, the same site list and the store', async () => {
    const config = await deployment()
    const shop = memberConfig(config, 'shop')
    assert.equal(shop.site, 'shop')
    assert.equal(shop.hub.origin, HUB)
    assert.deepEqual(shop.sites, config.sites)
    assert.equal(shop.store, config.store)
    assert.equal(shop.keys.jwksUrl, `${HUB}/.well-known/jwks.json`)
    assert.equal(shop.hub.token, undefined, 'a cross-site member never sees the parent-domain token')
    assert.deepEqual(memberConfig(config, 'forum').hub.token, { audience: 'acme.example', issuer: HUB }, 'a subdomain member links through the token')
  })

  test('a site that is not listed, or only reads the token, gets no member configuration', async () => {
    const config = await deployment()
    throwsWith(() => memberConfig(config, 'blog'), 'ERR_CONFIG_INVALID', 'unknown site')
    const err = throwsWith(() => memberConfig(config, 'flask'), 'ERR_CONFIG_INVALID', 'member: false')
    assert.match(err.message, /jwks\.json/, 'it says what such a site needs instead')
  })

  test('a ring from the share opens what the hub seals, seals what the hub opens, verifies what the hub signs', async () => {
    const config = await deployment()
    config.keys = rotateSecret(config.keys)
    const hub = await loadKeyRing(config.keys)
    const shop = await loadKeyRing(memberConfig(config, 'shop').keys)
    assert.equal(shop.holdsPrivateKeys, false)
    const [g1, g2, g3] = [ref(), ref(), ref()]
    const toShop = sealHandoff(hub, { ref: g1, src: 'hub', dst: 'shop' })
    assert.equal(openHandoff(shop, toShop, { dst: 'shop', sources: new Set(['hub']) }).ref, g1)
    const toHub = sealHandoff(shop, { ref: g2, src: 'shop', dst: 'hub' })
    assert.equal(openHandoff(hub, toHub, { dst: 'hub', sources: new Set(['shop']) }).ref, g2)
    // A payload sealed under the previous secret (in flight during the rotation) still opens at the member.
    const old = await loadKeyRing({ ...config.keys, secret: config.keys.previousSecrets![0]!, previousSecrets: [] })
    assert.equal(openHandoff(shop, sealHandoff(old, { ref: g3, src: 'hub', dst: 'shop' }), { dst: 'shop', sources: new Set(['hub']) }).ref, g3)
    const token = await signLoginToken(hub, { issuer: HUB, audience: 'acme.example', user: { sub: 'u1', username: 'alice' }, sid: 's1' })
    assert.equal((await verifyLoginToken(shop.verification, token, { issuer: HUB, audience: 'acme.example' })).username, 'alice')
  })

  test('the share cannot sign a token, make a CSRF key or run a hub', async () => {
    const config = await deployment()
    const shop = await loadKeyRing(memberConfig(config, 'shop').keys)
    await rejectsWith(() => signLoginToken(shop, { issuer: HUB, audience: 'acme.example', user: { sub: 'u1', username: 'mallory' }, sid: 's1' }), 'ERR_KEY_INVALID')
    throwsWith(() => shop.csrf, 'ERR_KEY_INVALID')
    const err = throwsWith(() => createHub({ origin: HUB, keys: shop, store: createMemoryStore(), users: { authenticate: async () => null } as never }), 'ERR_CONFIG_INVALID')
    assert.match(err.message, /full key configuration/)
  })

  test('a broken share is refused at load with a message that says how to get a good one', async () => {
    const share = memberConfig(await deployment(), 'shop').keys
    for (const [name, keys] of [
      ['no handoff keys', { ...share, handoff: [] }],
      ['short key', { ...share, handoff: [{ id: share.handoff[0]!.id, key: 'AAAA' }] }],
      ['non-random key', { ...share, handoff: [{ id: share.handoff[0]!.id, key: Buffer.alloc(32).toString('base64url') }] }],
      ['bad id', { ...share, handoff: [{ id: 'x', key: share.handoff[0]!.key }] }],
      ['bad activeFrom', { ...share, handoff: [{ ...share.handoff[0]!, activeFrom: 'soon' }] }],
      ['no jwks', { ...share, jwks: undefined }],
    ] as const) {
      const err = await rejectsWith(() => loadKeyRing(keys as never), 'ERR_KEY_INVALID', name)
      assert.match(err.message, /config member|ISO time|JWKS/, name)
    }
  })

  test('memberOptions builds a member that runs from the share', async () => {
    const config = await deployment()
    const share = memberConfig(config, 'forum')
    const member = createMember(memberOptions(share, { keys: await loadKeyRing(share.keys), store: createMemoryStore() }))
    assert.equal(member.origin, 'https://forum.acme.example')
    assert.equal(member.context.hubOrigin, HUB)
    assert.ok(member.context.token, 'the subdomain member reads the token cookie')
  })
})
