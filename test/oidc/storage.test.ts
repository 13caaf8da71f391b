import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { isSharedSessionError } from '../../src/errors/shared-session-error.js'
import { oidcAdapter, revokeGrant } from '../../src/oidc/adapter.js'
import { staticClients } from '../../src/oidc/clients.js'
import { createMemoryOidcStorage, type OidcStorage } from '../../src/oidc/storage.js'
import { createRedisOidcStorage } from '../../src/oidc/storage-redis.js'
import { createSqliteOidcStorage } from '../../src/oidc/storage-sqlite.js'

const dir = mkdtempSync(join(tmpdir(), 'ss-oidc-storage-'))
const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, commandTimeout: 2000 })
after(async () => {
  rmSync(dir, { recursive: true, force: true })
  redis.disconnect()
})

const kinds: Record<string, () => OidcStorage> = {
  memory: () => createMemoryOidcStorage(),
  sqlite: () => createSqliteOidcStorage({ path: join(dir, `${randomBytes(4).toString('hex')}.sqlite`) }),
  redis: () => createRedisOidcStorage({ client: redis, prefix: `test:oidc:${randomBytes(6).toString('hex')}:` }),
}

for (const [kind, make] of Object.entries(kinds)) {
  describe(`OIDC storage contract: ${kind}`, () => {
    test('values round-trip as JSON, are gone at expiry and after delete', async () => {
      const s = make()
      await s.set('a', { n: 1, list: ['x'] }, Date.now() + 60_000)
      assert.deepEqual(await s.get('a'), { n: 1, list: ['x'] })
      await s.set('a', { n: 2 }, Date.now() + 60_000)
      assert.deepEqual(await s.get('a'), { n: 2 }, 'overwritten')
      await s.set('old', 'x', Date.now() - 1)
      assert.equal(await s.get('old'), undefined, 'expired is never returned')
      await s.delete('a')
      assert.equal(await s.get('a'), undefined)
      assert.equal(await s.get('never'), undefined)
      await s.close()
    })

    test('sets collect members once, lose one on remove, all on delete, none after expiry', async () => {
      const s = make()
      await s.addToSet('g', 'one', Date.now() + 60_000)
      await s.addToSet('g', 'two', Date.now() + 60_000)
      await s.addToSet('g', 'one', Date.now() + 60_000)
      assert.deepEqual((await s.members('g')).sort(), ['one', 'two'])
      await s.removeFromSet('g', 'one')
      assert.deepEqual(await s.members('g'), ['two'])
      await s.delete('g')
      assert.deepEqual(await s.members('g'), [])
      await s.addToSet('gone', 'x', Date.now() - 1)
      assert.deepEqual(await s.members('gone'), [])
      await s.close()
    })

    test('the provider adapter: find by id and uid, consume marks, a grant revoked takes its tokens with it', async () => {
      const s = make()
      const adapter = oidcAdapter(s, staticClients([]), { idTokenAlg: 'EdDSA' })
      const codes = adapter('AuthorizationCode')
      const tokens = adapter('RefreshToken')
      const sessions = adapter('Session')
      await codes.upsert('c1', { grantId: 'g1', accountId: 'u' } as never, 60)
      await tokens.upsert('r1', { grantId: 'g1' } as never, 600)
      await tokens.upsert('r2', { grantId: 'g2' } as never, 600)
      await sessions.upsert('s1', { uid: 'u1', accountId: 'u' } as never, 600)
      assert.equal(((await codes.find('c1')) as { accountId: string }).accountId, 'u')
      assert.equal(((await sessions.findByUid('u1')) as { accountId: string }).accountId, 'u')
      await codes.consume('c1')
      assert.equal(typeof ((await codes.find('c1')) as { consumed?: number }).consumed, 'number')
      await revokeGrant(s, 'g1')
      assert.equal(await codes.find('c1'), undefined)
      assert.equal(await tokens.find('r1'), undefined)
      assert.ok(await tokens.find('r2'), 'another grant is untouched')
      await tokens.revokeByGrantId('g2')
      assert.equal(await tokens.find('r2'), undefined)
      await assert.rejects(adapter('Client').upsert('x', {} as never, 1), /clients are registered/)
      await s.close()
    })
  })
}

test('a Redis that is down is ERR_STORE_UNAVAILABLE (503), not a crash', async () => {
  const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, commandTimeout: 300, connectTimeout: 300, enableOfflineQueue: false, retryStrategy: () => null, lazyConnect: true })
  down.on('error', () => undefined)
  const s = createRedisOidcStorage({ client: down })
  await assert.rejects(s.get('x'), (err) => isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE') && err.status === 503)
  down.disconnect()
})
