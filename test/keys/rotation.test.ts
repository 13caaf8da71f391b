import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { memberKeys } from '../../src/config/member-config.js'
import { openHandoff } from '../../src/handoff/open.js'
import { sealHandoff } from '../../src/handoff/seal.js'
import { generateKeysConfig } from '../../src/keys/generate.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { rotateSecret, rotateSigningKeys } from '../../src/keys/rotate.js'
import { watchKeyRing } from '../../src/keys/watch.js'
import { rejectsWith, throwsWith } from '../helpers/keys.js'

const T0 = Date.parse('2026-11-30T12:00:00Z')
const ref = () => randomBytes(32).toString('base64url')
const id = (ring: Awaited<ReturnType<typeof loadKeyRing>>) => ring.handoff[0]!.id.toString('base64url')

describe('rotation with an overlap: the new key is known everywhere before anyone uses it', () => {
  test('the next secret opens at once and seals only from activeFrom, at the hub and in a member share', async () => {
    const keys = await generateKeysConfig()
    const rotated = rotateSecret(keys, { overlapSeconds: 60, now: T0 })
    assert.equal(rotated.secret, keys.secret, 'the current secret still seals')
    assert.equal(rotated.nextSecret!.activeFrom, new Date(T0 + 60_000).toISOString())
    const old = await loadKeyRing(keys, T0)
    for (const config of [rotated, memberKeys({ keys: rotated })]) {
      const during = await loadKeyRing(config, T0 + 1000)
      const afterwards = await loadKeyRing(config, T0 + 60_000)
      assert.equal(id(during), id(old), 'during the overlap the old key seals')
      assert.notEqual(id(afterwards), id(old), 'from activeFrom the new key seals')
      assert.equal(during.nextChange, T0 + 60_000, 'the ring says when to load again')
      assert.equal(afterwards.nextChange, null)
      // A member that has not reloaded yet (old ring) still opens what the hub seals during the overlap…
      const r1 = ref()
      assert.equal(openHandoff(old, sealHandoff(during, { ref: r1, src: 'hub', dst: 'shop' }), { dst: 'shop', sources: new Set(['hub']) }).ref, r1)
      // …and a reloaded one opens what is sealed after it, and what was sealed before (in flight).
      const r2 = ref()
      assert.equal(openHandoff(during, sealHandoff(afterwards, { ref: r2, src: 'hub', dst: 'shop' }), { dst: 'shop', sources: new Set(['hub']) }).ref, r2)
      assert.equal(openHandoff(afterwards, sealHandoff(old, { ref: r2, src: 'shop', dst: 'hub' }), { dst: 'hub', sources: new Set(['shop']) }).ref, r2)
    }
  })

  test('one rotation at a time; the next one promotes the secret that took over', async () => {
    const rotated = rotateSecret(await generateKeysConfig(), { overlapSeconds: 60, now: T0 })
    const err = throwsWith(() => rotateSecret(rotated, { overlapSeconds: 60, now: T0 + 30_000 }), 'ERR_CONFIG_INVALID')
    assert.match(err.message, /rotation is in progress.*2026-11-30T12:01:00/)
    const again = rotateSecret(rotated, { overlapSeconds: 60, now: T0 + 61_000 })
    assert.equal(again.secret, rotated.nextSecret!.secret)
    assert.deepEqual(again.previousSecrets, [rotated.secret])
    assert.ok(again.nextSecret && again.nextSecret.secret !== rotated.nextSecret!.secret)
  })

  test('a signing key is published at once and signs from activeFrom; the current one is kept whatever keep says', async () => {
    const keys = await generateKeysConfig()
    const rotated = await rotateSigningKeys(keys, { overlapSeconds: 60, keep: 1, now: T0 })
    assert.equal(rotated.signingKeys.length, 2)
    const [fresh, current] = rotated.signingKeys
    const during = await loadKeyRing(rotated, T0 + 1000)
    assert.equal(during.signer.kid, current!.kid)
    assert.deepEqual(during.jwks.keys.map((k) => k.kid), [fresh!.kid, current!.kid], 'the JWKS has the new key before it signs')
    assert.equal((await loadKeyRing(rotated, T0 + 60_000)).signer.kid, fresh!.kid)
    await rejectsWith(() => rotateSigningKeys(rotated, { now: T0 + 1000 }), 'ERR_CONFIG_INVALID')
    throwsWith(() => rotateSecret(keys, { overlapSeconds: -1 }), 'ERR_CONFIG_INVALID')
  })
})

describe('watchKeyRing: a running ring follows its file', () => {
  test('reload updates the ring in place; a broken file keeps the old keys and says so in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ss-watch-'))
    const path = join(dir, 'keys.json')
    const keys = await generateKeysConfig()
    writeFileSync(path, JSON.stringify(keys))
    const ring = await loadKeyRing(keys)
    const lines: string[] = []
    const watcher = watchKeyRing(ring, { path, read: () => JSON.parse(readFileSync(path, 'utf8')), log: (l) => lines.push(l) })
    try {
      const before = id(ring)
      const rotated = rotateSecret(keys)
      writeFileSync(path, JSON.stringify(rotated))
      assert.equal(await watcher.reload(), true)
      assert.notEqual(id(ring), before, 'the same object now seals with the new key')
      writeFileSync(path, '{ "secret": "half writ')
      assert.equal(await watcher.reload(), false)
      assert.notEqual(id(ring), before, 'still the last good keys')
      assert.equal(lines.length, 1)
      assert.match(lines[0]!, /keys in .*keys\.json not reloaded, still using the previous ones/)
    } finally {
      watcher.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
