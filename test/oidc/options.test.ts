import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createHub } from '../../src/hub/create-hub.js'
import { isSharedSessionError } from '../../src/errors/shared-session-error.js'
import { generateKeysConfig, generateSigningKey } from '../../src/keys/generate.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { hashClientSecret, type OidcClient } from '../../src/oidc/clients.js'
import type { OidcOptions } from '../../src/oidc/options.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { createSqliteUserDirectory } from '../../src/users/sqlite-directory.js'
import { sharedKeys } from './fixtures.js'

const CLIENT: OidcClient = { clientId: 'app', redirectUris: ['https://app.acme.example/cb'], secretHash: hashClientSecret('s') }

async function build(oidc: (keys: Awaited<ReturnType<typeof sharedKeys>>) => unknown, keysConfig?: Awaited<ReturnType<typeof generateKeysConfig>>) {
  const keys = keysConfig ?? (await sharedKeys())
  return createHub({ origin: 'https://auth.acme.example', keys: await loadKeyRing(keys), store: createMemoryStore(), users: createSqliteUserDirectory({ path: ':memory:' }), oidc: oidc(keys) as OidcOptions })
}

function refused(pattern: RegExp) {
  return (err: unknown) => isSharedSessionError(err, 'ERR_CONFIG_INVALID') && pattern.test(err.message)
}

test('a valid oidc option builds a provider; without it the hub has none', async () => {
  assert.ok((await build((k) => ({ signingKey: k.signingKeys[0], clients: [CLIENT] }))).oidc)
  const keys = await sharedKeys()
  assert.equal(createHub({ origin: 'https://auth.acme.example', keys: await loadKeyRing(keys), store: createMemoryStore(), users: createSqliteUserDirectory({ path: ':memory:' }) }).oidc, null)
})

test('the signing key must be the hub signer, asymmetric, private, and match the published key', async () => {
  await assert.rejects(build(() => ({ clients: [] })), refused(/signingKey is required/))
  const stranger = await generateSigningKey('EdDSA')
  await assert.rejects(build(() => ({ signingKey: stranger, clients: [] })), refused(/current signing key/))
  await assert.rejects(build((k) => ({ signingKey: { ...k.signingKeys[0], d: undefined }, clients: [] })), refused(/private part/))
  await assert.rejects(build((k) => ({ signingKey: { ...k.signingKeys[0], x: k.signingKeys[0]!.x!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }, clients: [] })), refused(/does not match the published key/))
  const hs = await generateKeysConfig({ alg: 'HS256' })
  await assert.rejects(build((k) => ({ signingKey: k.signingKeys[0], clients: [] }), hs), refused(/asymmetric signing key/))
})

test('given the whole signingKeys list, the key the ring signs with is taken, also when it is not the first (rotation overlap)', async () => {
  const keys = await generateKeysConfig()
  const next = { ...(await generateSigningKey('EdDSA')), activeFrom: new Date(Date.now() + 3_600_000).toISOString() }
  const rotating = { ...keys, signingKeys: [next, ...keys.signingKeys] }
  const hub = await build((k) => ({ signingKey: k.signingKeys, clients: [CLIENT] }), rotating)
  assert.equal(hub.oidc!.options.signingKey.kid, keys.signingKeys[0]!.kid)
  assert.equal(hub.context.ring.signer.kid, keys.signingKeys[0]!.kid)
})

test('clients are validated at start-up with messages that say what to change', async () => {
  const cases: [Partial<OidcClient> & Record<string, unknown>, RegExp][] = [
    [{ clientId: '' }, /clientId must be/],
    [{ redirectUris: [] }, /at least one redirect URI/],
    [{ redirectUris: ['/cb'] }, /not an absolute URL/],
    [{ redirectUris: ['http://app.acme.example/cb'] }, /must be https/],
    [{ redirectUris: ['https://app.acme.example/cb#x'] }, /fragment/],
    [{ redirectUris: ['https://user:pw@app.acme.example/cb'] }, /credentials/],
    [{ secretHash: undefined }, /needs secretHash/],
    [{ secretHash: 'plain' }, /needs secretHash/],
    [{ public: true }, /public client has no secret/],
    [{ backchannelLogoutUri: 'http://app.acme.example/bcl' }, /must be https/],
  ]
  for (const [change, pattern] of cases) {
    await assert.rejects(build((k) => ({ signingKey: k.signingKeys[0], clients: [{ ...CLIENT, ...change }] })), refused(pattern), JSON.stringify(change))
  }
  await assert.rejects(build((k) => ({ signingKey: k.signingKeys[0], clients: [CLIENT, CLIENT] })), refused(/listed twice/))
  await assert.rejects(build((k) => ({ signingKey: k.signingKeys[0], clients: [CLIENT], backchannel: { attempts: 0 } })), refused(/attempts/))
  await assert.rejects(build((k) => ({ signingKey: k.signingKeys[0], clients: [CLIENT], accessTokenTtlSeconds: 1 })), refused(/accessTokenTtlSeconds/))
  // Development over plain http is allowed only where it cannot leave the machine.
  for (const uri of ['http://localhost:3000/cb', 'http://app.localhost:3000/cb', 'http://127.0.0.1:3000/cb', 'http://[::1]:3000/cb']) {
    assert.ok(await build((k) => ({ signingKey: k.signingKeys[0], clients: [{ ...CLIENT, redirectUris: [uri] }] })), uri)
  }
})
