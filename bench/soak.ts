/**
 * `npm run soak`: a long run of the member server on the Redis store at a
 * steady 70 % of its measured peak, watching the server's memory. Not part
 * of `npm test`.
 *
 *   npm run soak                   5 s peak measurement, then 10 minutes at 70 %
 *   npm run soak -- --minutes 1    a shorter run
 *
 * Starts bench/servers/member.ts (BENCH_STORE=redis, its own key prefix,
 * removed at the end), samples the server's RSS (VmRSS of /proc/<pid>/status)
 * every 10 s, prints req/s, errors, non-2xx and RSS at start, end and peak,
 * and writes a "Soak" section into docs/benchmarks.md (replacing an older one).
 * Exits non-zero when any request failed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'
import { generateKeysConfig } from '../src/keys/generate.js'

const args = process.argv.slice(2)
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback
}
const MINUTES = Number(flag('minutes', '10'))
const CONNECTIONS = Number(flag('connections', '20'))
const PEAK_SECONDS = 5
const SAMPLE_EVERY_MS = 10_000
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
if (!(MINUTES > 0)) throw new Error('--minutes must be a number > 0')

const PREFIX = `soak:${process.pid}:`
const port = 18_000 + Math.floor(Math.random() * 20_000)

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? NaN)
}

async function startServer(): Promise<ChildProcess> {
  const env = { ...process.env, BENCH_STORE: 'redis', BENCH_PORT: String(port), BENCH_PREFIX: PREFIX, REDIS_URL, BENCH_KEYS: JSON.stringify(await generateKeysConfig()) }
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./servers/member.ts', import.meta.url).pathname], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('soak: the member server sent no READY within 30 s')), 30_000)
    child.once('exit', (code) => reject(new Error(`soak: the member server exited with ${code}`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('READY ')) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  return child
}

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => autocannon(options, (err, result) => (err ? reject(err) : resolve(result))))
}

async function deletePrefix(): Promise<void> {
  const { Redis } = await import('ioredis')
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await client.connect()
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 500)
    if (keys.length > 0) await client.del(...keys)
    cursor = next
  } while (cursor !== '0')
  await client.quit()
}

const server = await startServer()
const pid = server.pid!
let failed = false
try {
  const url = `http://127.0.0.1:${port}/`
  // One visitor with a session: the load reads and writes one value of it, as `npm run bench` does.
  const first = await fetch(url)
  const cookie = first.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ')
  if (first.status !== 200 || !cookie) throw new Error(`soak: the first request gave ${first.status} and no session cookie`)
  const headers = { cookie }

  await run({ url, headers, connections: CONNECTIONS, duration: 1 }) // warm-up
  const peak = await run({ url, headers, connections: CONNECTIONS, duration: PEAK_SECONDS })
  const rate = Math.max(1, Math.round(peak.requests.average * 0.7))
  console.log(`soak: peak ${Math.round(peak.requests.average)} req/s over ${PEAK_SECONDS} s; now ${MINUTES} min at ${rate} req/s (70 %), ${CONNECTIONS} connections`)

  const startRss = rssKb(pid)
  const samples: { at: number; rssKb: number }[] = [{ at: 0, rssKb: startRss }]
  const started = Date.now()
  const sampler = setInterval(() => {
    const sample = { at: Math.round((Date.now() - started) / 1000), rssKb: rssKb(pid) }
    samples.push(sample)
    console.log(`  +${String(sample.at).padStart(4)} s  RSS ${(sample.rssKb / 1024).toFixed(1)} MB`)
  }, SAMPLE_EVERY_MS)
  let result: autocannon.Result
  try {
    result = await run({ url, headers, connections: CONNECTIONS, duration: Math.round(MINUTES * 60), overallRate: rate })
  } finally {
    clearInterval(sampler)
  }
  const endRss = rssKb(pid)
  samples.push({ at: Math.round((Date.now() - started) / 1000), rssKb: endRss })
  const maxRss = Math.max(...samples.map((s) => s.rssKb))
  const errors = result.errors + result.timeouts
  failed = errors > 0
  const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`
  const figures = {
    'peak (5 s)': `${Math.round(peak.requests.average).toLocaleString('en')} req/s`,
    'target rate (70 %)': `${rate.toLocaleString('en')} req/s`,
    achieved: `${Math.round(result.requests.average).toLocaleString('en')} req/s (${result.requests.total.toLocaleString('en')} requests)`,
    'latency p50 / p99': `${result.latency.p50} / ${result.latency.p99} ms`,
    errors: `${errors}`,
    'non-2xx': `${result.non2xx}`,
    'RSS start / end / max': `${mb(startRss)} / ${mb(endRss)} / ${mb(maxRss)}`,
  }
  console.log('')
  for (const [name, value] of Object.entries(figures)) console.log(`  ${name.padEnd(22)} ${value}`)

  let redisVersion = 'unknown'
  try {
    redisVersion = execFileSync('redis-server', ['--version']).toString().match(/v=(\S+)/)?.[1] ?? redisVersion
  } catch {}
  const section = `## Soak

Measured by \`npm run soak${args.length ? ` -- ${args.join(' ')}` : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, Redis ${redisVersion}.
The member server (node:http adapter, Redis store; reads and writes one value of one session per request) measured at its peak for ${PEAK_SECONDS} s with ${CONNECTIONS} connections, then run for ${MINUTES} min at 70 % of that rate (autocannon \`overallRate\`), its RSS (\`VmRSS\`) sampled every ${SAMPLE_EVERY_MS / 1000} s. Server and load generator share the machine's cores.

| measure | value |
|---|---:|
${Object.entries(figures)
  .map(([name, value]) => `| ${name} | ${value} |`)
  .join('\n')}

RSS samples (s → MB): ${samples.map((s) => `${s.at}→${(s.rssKb / 1024).toFixed(0)}`).join(', ')}.
`
  const path = new URL('../docs/benchmarks.md', import.meta.url)
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n'
  // Replace an older Soak section (up to the next "## " heading or the end); keep everything else as it is.
  const withoutOld = existing.replace(/\n## Soak\n[\s\S]*?(?=\n## |$)/, '\n').replace(/\n+$/, '\n')
  writeFileSync(path, `${withoutOld}\n${section}`)
  console.log('\nsoak: wrote the Soak section of docs/benchmarks.md')
  if (failed) console.error(`soak: ${errors} requests failed`)
} finally {
  server.kill('SIGTERM')
  await deletePrefix().catch((err: unknown) => console.error(`soak: could not remove ${PREFIX}*: ${String(err)}`))
}
process.exit(failed ? 1 : 0)
