/**
 * `npm run bench -- --scale`: one million sessions in Redis. Lookup p99
 * (a site cookie resolved to its session, one round trip) and Redis bytes
 * per session (session + one link), at 1,000 sessions and at 1,000,000.
 * Uses Redis database 15 and empties it before and after: do not point it
 * at a database you care about (REDIS_SCALE_URL overrides).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import { createSession } from '../src/sessions/create.js'
import { hashCookieValue } from '../src/sessions/ids.js'
import { linkSite } from '../src/sessions/link.js'
import { sessionPolicy } from '../src/sessions/policy.js'
import { createRedisStore } from '../src/stores/redis/index.js'

const url = process.env.REDIS_SCALE_URL ?? 'redis://127.0.0.1:6379/15'
const target = Number(process.env.SCALE_SESSIONS ?? 1_000_000)
const admin = new Redis(url)
const store = createRedisStore({ url, prefix: 'scale:' })
const policy = sessionPolicy()
const cookies: string[] = []

async function usedMemory(): Promise<number> {
  return Number((await admin.info('memory')).match(/used_memory:(\d+)/)![1])
}

async function fill(upTo: number): Promise<number> {
  const started = Date.now()
  const concurrency = 256
  let next = cookies.length
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < upTo) {
        next++
        const session = await createSession(store, policy, { data: { cart: ['teapot', 'cups'], n: 1 } })
        cookies.push(await linkSite(store, session, 'shop'))
      }
    }),
  )
  return Date.now() - started
}

async function lookups(count: number): Promise<{ p50: number; p99: number }> {
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

await admin.flushdb()
const base = await usedMemory()
const rows: string[] = []
for (const size of [1_000, target]) {
  const ms = await fill(size)
  const bytes = ((await usedMemory()) - base) / cookies.length
  const { p50, p99 } = await lookups(10_000)
  const line = `| ${size.toLocaleString('en')} | ${p50.toFixed(3)} | ${p99.toFixed(3)} | ${Math.round(bytes)} | ${(ms / 1000).toFixed(1)} s |`
  rows.push(line)
  console.log(line)
}
await admin.flushdb()
await store.close()
await admin.quit()

const section = `\n## Scale: sessions in Redis\n\n\`npm run bench -- --scale\`, ${new Date().toISOString().slice(0, 10)}: sessions with a two-key cart and one site link each; 10,000 sequential lookups (site cookie → session, one round trip) at random.\n\n| sessions | lookup p50 ms | lookup p99 ms | Redis bytes per session | time to create |\n|---:|---:|---:|---:|---:|\n${rows.join('\n')}\n`
const path = new URL('../docs/benchmarks.md', import.meta.url)
let doc = ''
try {
  // Replace an older Scale section (up to the next "## " heading or the end); keep the rest.
  doc = readFileSync(path, 'utf8').replace(/\n## Scale: sessions in Redis\n[\s\S]*?(?=\n## |$)/, '\n').replace(/\n+$/, '\n')
} catch {}
writeFileSync(path, `${doc || '# Benchmarks\n'}${section}`)
console.log('wrote docs/benchmarks.md (scale section)')
