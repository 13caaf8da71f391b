import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SessionStore } from '../../src/stores/store.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { createSqliteStore } from '../../src/stores/sqlite/index.js'
import { createRedisStore } from '../../src/stores/redis/index.js'

/** The Redis server the suites use: the machine's, or REDIS_URL. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A store under test and how to throw it away. */
export interface StoreFixture {
  store: SessionStore
  cleanup(): Promise<void>
}

/** A fresh, isolated store of each kind: memory, a real SQLite file, a real Redis under a unique prefix. */
export const STORE_FACTORIES: Record<'memory' | 'sqlite' | 'redis', () => Promise<StoreFixture>> = {
  async memory() {
    const store = createMemoryStore()
    return { store, cleanup: () => store.close() }
  },
  async sqlite() {
    const dir = mkdtempSync(join(tmpdir(), 'ss-sqlite-'))
    const store = createSqliteStore({ path: join(dir, 'sessions.sqlite') })
    return {
      store,
      async cleanup() {
        await store.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  },
  async redis() {
    const prefix = `sstest:${randomBytes(6).toString('hex')}:`
    const store = createRedisStore({ url: REDIS_URL, prefix })
    return {
      store,
      async cleanup() {
        await deleteRedisPrefix(prefix)
        await store.close()
      },
    }
  },
}

/** Remove every key under a prefix (SCAN, never KEYS), so parallel suites leave Redis clean. */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis')
  const client = new Redis(REDIS_URL, { lazyConnect: true })
  await client.connect()
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
    if (keys.length > 0) await client.del(...keys)
    cursor = next
  } while (cursor !== '0')
  await client.quit()
}
