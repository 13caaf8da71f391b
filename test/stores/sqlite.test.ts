import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { isSharedSessionError } from '../../src/errors/shared-session-error.js'
import { SQLITE_MIGRATIONS } from '../../src/stores/sqlite/schema.js'
import { createSqliteStore } from '../../src/stores/sqlite/index.js'
import { makeRecord, randomId, runStoreContract } from './contract.js'

const dir = mkdtempSync(join(tmpdir(), 'shared-session-sqlite-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const freshPath = (): string => join(dir, `store-${++files}.sqlite`)

runStoreContract('sqlite', async () => {
  const store = createSqliteStore({ path: freshPath() })
  return { store, cleanup: () => store.close() }
})

async function rejectsUnavailable(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE'), String(err))
    assert.match(err.message, pattern)
    assert.equal(err.status, 503)
    assert.ok(err.cause instanceof Error)
    return true
  })
}

describe('sqlite store', () => {
  test('creates a versioned WAL file with foreign keys, in a directory it creates', async () => {
    const path = join(dir, 'nested', 'deeper', 'sessions.sqlite')
    const store = createSqliteStore({ path })
    const record = makeRecord({ data: { a: '1' } })
    await store.insertSession(record)
    await store.close()

    const db = new Database(path, { readonly: true })
    assert.equal(db.pragma('user_version', { simple: true }), SQLITE_MIGRATIONS.length)
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
    db.close()

    const reopened = createSqliteStore({ path })
    assert.deepEqual(await reopened.getSession(record.id, record.createdAt), record, 'data survives a reopen; migrations do not run twice')
    await reopened.close()
  })

  test('a file from a newer shared-session is refused', () => {
    const path = freshPath()
    const db = new Database(path)
    db.pragma(`user_version = ${SQLITE_MIGRATIONS.length + 1}`)
    db.close()
    assert.throws(() => createSqliteStore({ path }), (err: unknown) => isSharedSessionError(err, 'ERR_CONFIG_INVALID') && /newer/.test(err.message))
  })

  test('bad options fail at start-up with ERR_CONFIG_INVALID', () => {
    for (const options of [{ path: '' }, { path: freshPath(), busyTimeoutMs: -1 }, { path: freshPath(), busyTimeoutMs: 1.5 }]) {
      assert.throws(() => createSqliteStore(options), (err: unknown) => isSharedSessionError(err, 'ERR_CONFIG_INVALID'))
    }
  })

  test('a path that cannot be opened fails at start-up with ERR_STORE_UNAVAILABLE', () => {
    const file = freshPath()
    writeFileSync(file, 'not a directory')
    assert.throws(() => createSqliteStore({ path: join(file, 'sessions.sqlite') }), (err: unknown) => isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE'))
    const notSqlite = freshPath()
    writeFileSync(notSqlite, 'x'.repeat(4096))
    assert.throws(() => createSqliteStore({ path: notSqlite }), (err: unknown) => isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE') && /SQLITE|database/i.test(err.message))
  })

  test('sweep deletes expired rows from the file, data and links included', async () => {
    const path = freshPath()
    const store = createSqliteStore({ path })
    const t0 = Date.now()
    const short = makeRecord({ idleExpiresAt: t0 + 1000, data: { a: '1', b: '2' } }, t0)
    const long = makeRecord({ data: { c: '3' } }, t0)
    await store.insertSession(short)
    await store.insertSession(long)
    await store.insertLink(randomId(), { sessionId: short.id, site: 'shop', via: 'new', createdAt: t0, expiresAt: short.absoluteExpiresAt })
    await store.insertLink(randomId(), { sessionId: long.id, site: 'shop', via: 'new', createdAt: t0, expiresAt: t0 + 1000 })
    await store.consumeNonce(randomId(), t0 + 1000)
    await store.sweep(t0 + 1000)
    await store.close()

    const db = new Database(path, { readonly: true })
    const rows = (table: string): number => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number
    assert.deepEqual(
      { sessions: rows('sessions'), data: rows('session_data'), links: rows('links'), nonces: rows('nonces') },
      { sessions: 1, data: 1, links: 0, nonces: 0 },
    )
    db.close()
  })

  test('sweeps by itself when sessions are written, so the file does not grow forever', async () => {
    const path = freshPath()
    const first = createSqliteStore({ path })
    await first.insertSession(makeRecord({ idleExpiresAt: Date.now() + 30 }))
    await first.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    const second = createSqliteStore({ path })
    await second.insertSession(makeRecord())
    await second.close()
    const db = new Database(path, { readonly: true })
    assert.equal(db.prepare('SELECT count(*) FROM sessions').pluck().get(), 1)
    db.close()
  })

  test('two processes patching different keys of one session lose nothing', async () => {
    const path = freshPath()
    const store = createSqliteStore({ path })
    const record = makeRecord()
    await store.insertSession(record)

    const script = fileURLToPath(new URL('./sqlite-patcher.ts', import.meta.url))
    const children = ['a', 'b'].map((keyPrefix) =>
      fork(script, [path, record.id, keyPrefix, '1000'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    )
    const ready = children.map((child) => new Promise((resolve, reject) => child.once('message', resolve).once('error', reject)))
    await Promise.all(ready)
    const done = children.map(
      (child) =>
        new Promise<{ failed: number }>((resolve, reject) => {
          child.once('message', (message) => resolve(message as { failed: number }))
          child.once('exit', (code) => reject(new Error(`patcher exited with ${code} before reporting`)))
        }),
    )
    for (const child of children) child.send('go')
    assert.deepEqual(await Promise.all(done), [{ failed: 0 }, { failed: 0 }])

    const data = (await store.getSession(record.id, Date.now()))?.data ?? {}
    assert.equal(Object.keys(data).length, 2000)
    for (let i = 0; i < 1000; i++) {
      assert.equal(data[`a${i}`], String(i))
      assert.equal(data[`b${i}`], String(i))
    }
    await store.close()
  })

  test('a write blocked by another connection’s write lock fails within bounded time, and succeeds once it is released', async () => {
    const path = freshPath()
    const store = createSqliteStore({ path, busyTimeoutMs: 100 })
    const record = makeRecord()
    await store.insertSession(record)

    const locker = new Database(path)
    locker.exec('BEGIN EXCLUSIVE')
    locker.prepare('INSERT INTO nonces (nonce, expires) VALUES (?, ?)').run('held', Date.now() + 60_000)
    try {
      const started = Date.now()
      await rejectsUnavailable(store.patchSession(record.id, { set: { a: '1' }, unset: [] }), /sqlite store unavailable during patchSession: .*(locked|busy)/i)
      await rejectsUnavailable(store.consumeNonce(randomId(), Date.now() + 60_000), /during consumeNonce/)
      assert.ok(Date.now() - started < 2000, 'bounded by busyTimeoutMs')
      assert.deepEqual(await store.getSession(record.id, record.createdAt), record, 'WAL readers are not blocked by the writer')
    } finally {
      locker.exec('ROLLBACK')
      locker.close()
    }
    assert.equal(await store.patchSession(record.id, { set: { a: '1' }, unset: [] }), true)
    assert.equal((await store.getSession(record.id, record.createdAt))?.data['a'], '1')
    await store.close()
  })

  test('a read-only database fails writes with ERR_STORE_UNAVAILABLE and still serves reads', async () => {
    const path = freshPath()
    const writable = createSqliteStore({ path })
    const record = makeRecord({ data: { a: '1' } })
    await writable.insertSession(record)
    await writable.close()

    const store = createSqliteStore({ path, readonly: true })
    assert.deepEqual(await store.getSession(record.id, record.createdAt), record)
    await rejectsUnavailable(store.insertSession(makeRecord()), /during insertSession: .*readonly.* — the database file or its directory is read-only/)
    await rejectsUnavailable(store.patchSession(record.id, { set: { b: '2' }, unset: [] }), /SQLITE_READONLY|readonly/i)
    await rejectsUnavailable(store.consumeNonce(randomId(), Date.now() + 1000), /readonly/i)
    await store.close()
  })

  test('a read-only open of a file that was never initialised says what to do', () => {
    const path = freshPath()
    new Database(path).close()
    assert.throws(() => createSqliteStore({ path, readonly: true }), (err: unknown) => isSharedSessionError(err, 'ERR_STORE_UNAVAILABLE') && /without readonly/.test(err.message))
  })

  test('calls after close fail with ERR_STORE_UNAVAILABLE', async () => {
    const store = createSqliteStore({ path: freshPath() })
    await store.close()
    await store.close()
    await rejectsUnavailable(store.getSession(randomId(), Date.now()), /during getSession/)
  })
})
