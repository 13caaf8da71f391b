/**
 * `npm run bench -- --scale`: one million sessions in each store that
 * scales past one process: Redis, Redis Cluster and PostgreSQL. Lookup
 * p50/p99 (a site cookie resolved to its session, one store call) and the
 * bytes each session (with one site link) costs the store, at 1,000
 * sessions and at 1,000,000.
 *
 *   npm run bench -- --scale                                 all three stores
 *   npm run bench -- --scale --stores postgres --sessions 100000
 *   npm run bench -- --scale --sessions-postgres 300000   fewer for one store
 *   npm run bench -- --scale --no-write       print the rows, leave docs/benchmarks.md alone
 *
 * Every session is made through the store's own API (createSession +
 * linkSite), as an app would. Single Redis: database 15, emptied before and
 * after (REDIS_SCALE_URL overrides: never point it at a database you care
 * about). Redis Cluster (REDIS_CLUSTER_SCALE_URL, default the three masters
 * of scripts/start-services.sh): a key prefix of this run's own, deleted
 * afterwards; bytes are the growth of used_memory summed over the masters.
 * PostgreSQL (POSTGRES_SCALE_URL): a schema of this run's own, dropped
 * afterwards; bytes are the schema's tables with their indexes and TOAST.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { Cluster, Redis } from 'ioredis'
import pg from 'pg'
import { createSession } from '../src/sessions/create.js'
import { hashCookieValue } from '../src/sessions/ids.js'
import { linkSite } from '../src/sessions/link.js'
import { sessionPolicy } from '../src/sessions/policy.js'
import { createPostgresStore } from '../src/stores/postgres/index.js'
import { createRedisStore } from '../src/stores/redis/index.js'
import type { SessionStore } from '../src/stores/store.js'

const args = process.argv.slice(2)
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1]! : fallback
}
const target = Number(flag('sessions', process.env.SCALE_SESSIONS ?? '1000000'))
const kinds = flag('stores', 'redis,redis-cluster,postgres').split(',')
const policy = sessionPolicy()

/** One store under test: how to open it, measure its bytes, and leave nothing behind. */
interface Backend {
  name: string
  store: SessionStore
  /** Bytes the store's server holds for this run (or the growth since the start). */
  bytes(): Promise<number>
  cleanUp(): Promise<void>
}

async function redisBackend(): Promise<Backend> {
  const url = process.env.REDIS_SCALE_URL ?? 'redis://127.0.0.1:6379/15'
  const admin = new Redis(url)
  await admin.flushdb()
  const base = usedMemory(await admin.info('memory'))
  // The default prefix, as in production (database 15 is this run's alone).
  const store = createRedisStore({ url })
  return {
    name: 'Redis',
    store,
    bytes: async () => usedMemory(await admin.info('memory')) - base,
    async cleanUp() {
      await store.close()
      await admin.flushdb()
      admin.disconnect()
    },
  }
}

async function clusterBackend(): Promise<Backend> {
  const url = process.env.REDIS_CLUSTER_SCALE_URL ?? 'redis-cluster://127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003'
  const nodes = url.replace(/^redis-cluster:\/\//, '').split(',').map((hostPort) => ({ host: hostPort.split(':')[0]!, port: Number(hostPort.split(':')[1]) }))
  // The cluster is shared with the test suite: no FLUSHALL, a prefix of our own instead, as long
  // as the default `ss:` so that key names cost what they cost in production (see docs/stores.md).
  const prefix = `${(process.pid % 1296).toString(36).padStart(2, '0')}:`
  const admin = new Cluster(nodes)
  const masters = async () => {
    await admin.ping()
    return admin.nodes('master')
  }
  const memory = async () => (await Promise.all((await masters()).map(async (node) => usedMemory(await node.info('memory'))))).reduce((a, b) => a + b, 0)
  const base = await memory()
  const store = createRedisStore({ url, prefix })
  return {
    name: 'Redis Cluster (3 masters)',
    store,
    bytes: async () => (await memory()) - base,
    async cleanUp() {
      await store.close()
      for (const node of await masters()) {
        let cursor = '0'
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
          // Keys of different slots cannot go in one UNLINK: one command each, pipelined.
          if (keys.length) await keys.reduce((p, key) => p.unlink(key), node.pipeline()).exec()
          cursor = next
        } while (cursor !== '0')
      }
      admin.disconnect()
    },
  }
}

async function postgresBackend(): Promise<Backend> {
  const url = process.env.POSTGRES_SCALE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
  const schema = `scale_${process.pid}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  const store = createPostgresStore({ url, schema })
  return {
    name: 'PostgreSQL',
    store,
    async bytes() {
      // Updated statistics are not needed: pg_total_relation_size reads the files' sizes.
      const { rows } = await admin.query<{ bytes: string }>(
        `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
        [schema],
      )
      return Number(rows[0]!.bytes)
    },
    async cleanUp() {
      await store.close()
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await admin.end()
    },
  }
}

function usedMemory(info: string): number {
  return Number(info.match(/used_memory:(\d+)/)![1])
}

async function fill(store: SessionStore, cookies: string[], upTo: number): Promise<number> {
  const started = Date.now()
  let next = cookies.length
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < upTo) {
        next++
        const session = await createSession(store, policy, { data: { cart: ['teapot', 'cups'], n: 1 } })
        cookies.push(await linkSite(store, session, 'shop'))
        if (cookies.length % 100_000 === 0) process.stdout.write(`    ${cookies.length.toLocaleString('en')} sessions\n`)
      }
    }),
  )
  return Date.now() - started
}

async function lookups(store: SessionStore, cookies: string[], count: number): Promise<{ p50: number; p99: number }> {
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    const cookie = cookies[Math.floor(Math.random() * cookies.length)]!
    const t = process.hrtime.bigint()
    const found = await store.resolveLink(hashCookieValue(cookie), Date.now())
    times.push(Number(process.hrtime.bigint() - t) / 1e6)
    if (!found) throw new Error('a session went missing')
  }
  times.sort((a, b) => a - b)
  return { p50: times[Math.floor(count * 0.5)]!, p99: times[Math.floor(count * 0.99)]! }
}

const open: Record<string, () => Promise<Backend>> = { redis: redisBackend, 'redis-cluster': clusterBackend, postgres: postgresBackend }
const rows: string[] = []
for (const kind of kinds) {
  if (!open[kind]) throw new Error(`--stores: unknown store ${kind} (redis, redis-cluster, postgres)`)
  const backend = await open[kind]!()
  console.log(`scale: ${backend.name}`)
  const cookies: string[] = []
  try {
    for (const size of [1_000, Number(flag(`sessions-${kind}`, String(target)))]) {
      const ms = await fill(backend.store, cookies, size)
      const bytes = (await backend.bytes()) / cookies.length
      const { p50, p99 } = await lookups(backend.store, cookies, 10_000)
      const line = `| ${backend.name} | ${size.toLocaleString('en')} | ${p50.toFixed(3)} | ${p99.toFixed(3)} | ${Math.round(bytes)} | ${(ms / 1000).toFixed(1)} s |`
      rows.push(line)
      console.log(line)
    }
  } finally {
    await backend.cleanUp()
  }
}

const section = `\n## Scale: a million sessions\n\n\`npm run bench -- --scale${args.filter((a) => a !== '--scale').length ? ` ${args.filter((a) => a !== '--scale').join(' ')}` : ''}\`, ${new Date().toISOString().slice(0, 10)}: sessions made through the store's API (createSession + linkSite), each with a two-key cart and one site link; then 10,000 sequential lookups (site cookie → session, one store call) at random. Bytes per session: Redis \`used_memory\` growth (summed over the cluster's masters), PostgreSQL the tables with their indexes. The Redis Cluster here is three masters on this same two-core machine, so its latency shows the extra hop of the cluster client, not a real network.\n\n| store | sessions | lookup p50 ms | lookup p99 ms | bytes per session | time to create |\n|---|---:|---:|---:|---:|---:|\n${rows.join('\n')}\n`
if (args.includes('--no-write')) process.exit(0)
const path = new URL('../docs/benchmarks.md', import.meta.url)
let doc = ''
try {
  // Replace an older Scale section (up to the next "## " heading or the end); keep the rest.
  doc = readFileSync(path, 'utf8').replace(/\n## Scale[^\n]*\n[\s\S]*?(?=\n## |$)/, '\n').replace(/\n+$/, '\n')
} catch {}
writeFileSync(path, `${doc || '# Benchmarks\n'}${section}`)
console.log('wrote docs/benchmarks.md (scale section)')
