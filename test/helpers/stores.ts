import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SessionStore } from '../../src/stores/store.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { createSqliteStore } from '../../src/stores/sqlite/index.js'
import { createRedisStore } from '../../src/stores/redis/index.js'
import { createPostgresStore } from '../../src/stores/postgres/index.js'

/** The PostgreSQL server the suites use: the machine's (trust auth, database `test`), or POSTGRES_URL. */
export const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** The three-master Redis Cluster scripts/start-services.sh starts, or REDIS_CLUSTER_URL. */
export const REDIS_CLUSTER_URL = process.env.REDIS_CLUSTER_URL ?? 'redis-cluster://127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003'

/** The Redis server the suites use: the machine's, or REDIS_URL. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A store under test and how to throw it away. */
export interface StoreFixture {
  store: SessionStore
  cleanup(): Promise<void>
}

/**
 * A fresh, isolated store of each kind: memory, a real SQLite file, a real
 * Redis under a unique prefix, a real PostgreSQL in a schema of its own.
 */
export const STORE_FACTORIES: Record<'memory' | 'sqlite' | 'redis' | 'redis-cluster' | 'postgres', () => Promise<StoreFixture>> = {
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
  async 'redis-cluster'() {
    const prefix = `sstest:${randomBytes(6).toString('hex')}:`
    const store = createRedisStore({ url: REDIS_CLUSTER_URL, prefix })
    return {
      store,
      async cleanup() {
        await store.close()
        await deleteRedisClusterPrefix(prefix)
      },
    }
  },
  async postgres() {
    // A fresh schema costs half a second of DDL on a busy machine; an emptied one is as isolated and costs milliseconds.
    const schema = spareSchemas.pop() ?? freshPostgresSchema()
    usedSchemas.add(schema)
    // Generous timeouts: the contract checks behaviour, and 200 patches of one row queue for the row lock on a busy
    // machine; the bounded-time failures are tested with short timeouts in test/stores/postgres.test.ts.
    const store = createPostgresStore({ url: POSTGRES_URL, schema, connectTimeoutMs: 15_000, commandTimeoutMs: 15_000 })
    return {
      store,
      async cleanup() {
        await store.close()
        await emptyPostgresSchema(schema)
        spareSchemas.push(schema)
      },
    }
  },
}

const spareSchemas: string[] = []
const usedSchemas = new Set<string>()
let dropping = false
// Schemas are dropped once the test file is done (beforeExit lets the event loop run the drops).
process.on('beforeExit', () => {
  if (dropping || usedSchemas.size === 0) return
  dropping = true
  void Promise.all([...usedSchemas].map((schema) => dropPostgresSchema(schema).catch(() => undefined)))
})

async function postgresAdmin<T>(run: (client: import('pg').Client) => Promise<T>): Promise<T> {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

async function emptyPostgresSchema(schema: string): Promise<void> {
  await postgresAdmin((client) => client.query(`DELETE FROM "${schema}".links; DELETE FROM "${schema}".sessions; DELETE FROM "${schema}".nonces; DELETE FROM "${schema}".counters`).catch(() => undefined))
}

/** A schema name no other test run uses (lower case: PostgreSQL folds unquoted names). */
export function freshPostgresSchema(): string {
  return `sstest_${randomBytes(6).toString('hex')}`
}

/** Drop a test schema with everything in it. */
export async function dropPostgresSchema(schema: string): Promise<void> {
  await postgresAdmin((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))
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

/** Remove every key under a prefix from every master of the test cluster. */
export async function deleteRedisClusterPrefix(prefix: string): Promise<void> {
  const { Cluster } = await import('ioredis')
  const { parseClusterUrl } = await import('../../src/stores/redis/cluster-url.js')
  const cluster = new Cluster(parseClusterUrl(REDIS_CLUSTER_URL)!.nodes, { lazyConnect: true })
  await cluster.connect()
  try {
    for (const node of cluster.nodes('master')) {
      let cursor = '0'
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
        // Keys of one node may belong to different slots: delete them one by one (a multi-key DEL must stay in one slot).
        await Promise.all(keys.map((key) => node.del(key)))
        cursor = next
      } while (cursor !== '0')
    }
  } finally {
    await cluster.quit()
  }
}
