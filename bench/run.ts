/**
 * `npm run bench`: every case's server started here (pinned to core 0 with
 * taskset where it exists; the load generator runs on core 1), each case
 * measured several times, interleaved, and printed side by side with bare
 * node:http and its own bare framework from the same run. Beside req/s and
 * p99, each case's server CPU time per request (process.cpuUsage() in the
 * server, asked over IPC at the start and end of every window): the measure
 * the targets use, because it holds on a noisy machine. Writes docs/benchmarks.md.
 *
 *   npm run bench                      all cases, 3 rounds of 4 s
 *   npm run bench -- --rounds 1 --duration 2 --only bare,member-memory
 *   npm run bench -- --scale           1 million sessions in Redis (see scale.ts)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'
import { Redis } from 'ioredis'
import { generateKeysConfig } from '../src/keys/generate.js'
import { loadKeyRing } from '../src/keys/key-ring.js'
import { sealHandoff } from '../src/handoff/seal.js'
import { BARE, CASES, type BenchCase } from './cases.js'
import { addedShare, cpuPerRequest, formatMicros, median, relativeToBase, targetTable, type CpuReading, type Target } from './cpu.js'
import { loaderBytes } from './loader-size.js'
import { summarizeProfile } from './profile-summary.js'

const args = process.argv.slice(2)
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1]! : fallback
}
if (args.includes('--scale')) {
  await import('./scale.js')
  process.exit(0)
}
const ROUNDS = Number(flag('rounds', '3'))
const DURATION = Number(flag('duration', '4'))
const CONNECTIONS = Number(flag('connections', '50'))
/** Warm-up requests per case: a count, not a time, so a slow moment of the machine does not leave a case cold (the JIT's own threads count as the server's CPU). */
const WARMUP = Number(flag('warmup', '5000'))
const only = flag('only', '')
/** With --profile, V8's CPU profiler runs in each server over the measured windows (not start-up or warm-up) and the report says where each case's time goes. */
const PROFILE = args.includes('--profile')
/** With --no-write, print the tables and leave docs/benchmarks.md alone (quick runs while developing). */
const WRITE = !args.includes('--no-write')
const profileDir = PROFILE ? mkdtempSync(join(tmpdir(), 'ss-bench-prof-')) : ''
const wanted = only ? CASES.filter((c) => only.split(',').includes(c.id)) : CASES
if (only && wanted.length !== only.split(',').length) throw new Error(`--only: unknown case in ${only}; cases: ${CASES.map((c) => c.id).join(', ')}`)
// Every case is shown beside bare node:http and its own bare framework: those always run.
const needed = new Set(['bare', ...wanted.map((c) => BARE[c.framework])])
const cases = CASES.filter((c) => needed.has(c.id) || wanted.includes(c))

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
    return cpus().length > 1
  } catch {
    return false
  }
})()
if (hasTaskset) execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' })

// Servers run compiled JavaScript, as users run it: under tsx every closure pays
// esbuild's keepNames wrapper and module loads go through its loader thread.
console.log('bench: compiling src and bench (tsc -p tsconfig.bench.json)…')
const root = new URL('..', import.meta.url).pathname
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.bench.json')], { stdio: 'inherit' })

const keysConfig = await generateKeysConfig()
const ring = await loadKeyRing(keysConfig)
/** The PostgreSQL case's schema: this run's own, dropped at the end. */
const PG_SCHEMA = `bench_${process.pid}`
const redisAdmin = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true })

interface Running {
  c: BenchCase
  child: ChildProcess
  port: number
  extra: Record<string, string>
  headers: Record<string, string>
}

async function start(c: BenchCase, port: number): Promise<Running> {
  const env = { ...process.env, ...c.env, BENCH_PORT: String(port), BENCH_KEYS: JSON.stringify(keysConfig), BENCH_PREFIX: `bench:${c.id}:${process.pid}:`, BENCH_PG_SCHEMA: PG_SCHEMA }
  const cmd = [process.execPath, join(root, '.bench-build/bench/servers', c.server.replace(/\.ts$/, '.js'))]
  // fd 3 is the IPC channel the runner asks for the server's CPU time on (taskset execs node, so it is inherited).
  const stdio: ['ignore', 'pipe', 'inherit', 'ipc'] = ['ignore', 'pipe', 'inherit', 'ipc']
  const child = hasTaskset ? spawn('taskset', ['-c', '0', ...cmd], { env, stdio }) : spawn(cmd[0]!, cmd.slice(1), { env, stdio })
  const extra = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${c.id}: no READY within 30 s`)), 30_000)
    child.once('exit', (code) => reject(new Error(`${c.id}: server exited with ${code}`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('READY ')) {
        clearTimeout(timer)
        resolve(JSON.parse(line.slice(6)))
      }
    })
  })
  const headers: Record<string, string> = { ...c.headers }
  if (extra.authorization) headers.authorization = extra.authorization
  if (extra.cookie) headers.cookie = extra.cookie
  if (c.cookieFromFirstResponse) {
    const first = await fetch(`http://127.0.0.1:${port}/`)
    headers.cookie = first.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ')
    if (!headers.cookie) throw new Error(`${c.id}: the first response set no session cookie`)
  }
  return { c, child, port, extra, headers }
}

/** Ask a server something over IPC (servers/common.ts answers) and wait for its answer. */
async function ask<T>(r: Running, message: { op: string; file?: string }): Promise<T> {
  const reply = once(r.child, 'message') as Promise<[T]>
  r.child.send(message)
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${r.c.id}: no answer to ${message.op} over IPC`)), 30_000).unref())
  return (await Promise.race([reply, timeout]))[0]
}

/** The server's `process.cpuUsage()`. */
async function serverCpu(r: Running): Promise<CpuReading> {
  return (await ask<{ cpu: CpuReading }>(r, { op: 'cpu' })).cpu
}

/** The Redis server's CPU time in microseconds (INFO cpu): indicative only, other work on this Redis counts too. */
async function redisCpu(): Promise<number> {
  const info = await redisAdmin.info('cpu')
  const seconds = (name: string) => Number(info.match(new RegExp(`^${name}:([\\d.]+)`, 'm'))?.[1] ?? NaN)
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6
}

/** Load for `duration` seconds, or for `amount` requests when given. */
function load(r: Running, duration: number, amount?: number): Promise<autocannon.Result> {
  const base: autocannon.Options = { url: `http://127.0.0.1:${r.port}${r.c.path ?? '/'}`, connections: CONNECTIONS, duration, headers: r.headers, ...(amount ? { amount } : {}) }
  if (r.c.id === 'push') {
    // Every request a fresh, valid payload, sealed here (on the load generator's core).
    base.requests = [
      {
        setupRequest: (req) => ({
          ...req,
          path: `/_session/push/${sealHandoff(ring, { ref: r.extra.ref!, src: 'shop', dst: 'shop-de' })}.js`,
          headers: { ...req.headers, referer: r.extra.referer!, 'sec-fetch-dest': 'script' },
        }),
      },
    ]
  }
  return new Promise((resolve, reject) => autocannon(base, (err, result) => (err ? reject(err) : resolve(result))))
}

interface Sample {
  rps: number
  p99: number
  cpu: number
  redisCpu: number
  errors: number
}

/** One measured window: the load, and the server's (and Redis's) CPU time over it. */
async function measure(r: Running, duration: number): Promise<Sample> {
  const before = await serverCpu(r)
  const redisBefore = r.c.redis ? await redisCpu() : NaN
  const result = await load(r, duration)
  const after = await serverCpu(r)
  const redisAfter = r.c.redis ? await redisCpu() : NaN
  // Redirects are the pull's answer; only 4xx/5xx and socket errors count against a case.
  const failed = Object.entries(result.statusCodeStats ?? {}).reduce((n, [code, stat]) => (Number(code) >= 400 ? n + (stat as { count: number }).count : n), 0)
  const requests = result.requests.total
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    cpu: cpuPerRequest(before, after, requests),
    redisCpu: requests > 0 ? (redisAfter - redisBefore) / requests : NaN,
    errors: result.errors + result.timeouts + failed,
  }
}

const running: Running[] = []
try {
  let port = 18_000 + Math.floor(Math.random() * 20_000)
  if (cases.some((c) => c.redis)) await redisAdmin.connect()
  for (const c of cases) running.push(await start(c, port++))
  console.log(`bench: ${running.length} servers up${hasTaskset ? ' (servers on core 0, load on core 1)' : ''}; ${ROUNDS} round(s) of ${DURATION} s, ${CONNECTIONS} connections`)
  for (const r of running) await load(r, 1, WARMUP) // warm-up: JIT, connection pools, caches
  if (PROFILE) for (const r of running) await ask(r, { op: 'profile-start' })
  const samples = new Map<string, Sample[]>()
  for (let round = 1; round <= ROUNDS; round++) {
    for (const r of running) {
      const s = await measure(r, DURATION)
      samples.set(r.c.id, [...(samples.get(r.c.id) ?? []), s])
      process.stdout.write(`  round ${round} ${r.c.id.padEnd(22)} ${Math.round(s.rps).toString().padStart(7)} req/s  p99 ${String(s.p99).padStart(3)} ms  ${formatMicros(s.cpu).padStart(6)} µs CPU/req${s.errors ? `  ${s.errors} errors` : ''}\n`)
    }
  }
  const rows = cases.map((c) => {
    const s = samples.get(c.id)!
    const of = (k: keyof Sample) => median(s.map((x) => x[k]))
    return { c, rps: of('rps'), p99: of('p99'), cpu: of('cpu'), redisCpu: of('redisCpu'), errors: s.reduce((n, x) => n + x.errors, 0) }
  })
  const byId = Object.fromEntries(rows.map((r) => [r.c.id, r]))
  const cpuOf = (id: string) => byId[id]?.cpu ?? NaN
  const bare = byId.bare!
  const loader = await loaderBytes()
  // Each target is computed within each round (cases measured minutes apart see different
  // machines), and the median over the rounds is shown; the detail quotes the median CPU figures.
  const roundCpu = (round: number) => (id: string) => samples.get(id)?.[round]?.cpu ?? NaN
  const perRound = Array.from({ length: ROUNDS }, (_, i) => targetsFrom(roundCpu(i)))
  const targets = targetsFrom(cpuOf).map((t, i) => ({ ...t, value: median(perRound.map((ts) => ts[i]!.value)) }))
  const table = [
    '| case | CPU µs/req | × bare node:http (CPU) | µs/req over its bare framework | req/s | p99 ms | Redis CPU µs/req | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const frameworkBare = BARE[r.c.framework]
      const over = r.c.id === frameworkBare ? '–' : `+${formatMicros(r.cpu - cpuOf(frameworkBare))}`
      return `| ${r.c.label} | ${formatMicros(r.cpu)} | ${relativeToBase(r.cpu, bare.cpu).toFixed(3)} | ${over} | ${Math.round(r.rps).toLocaleString('en')} | ${r.p99} | ${formatMicros(r.redisCpu)} | ${r.errors} |`
    }),
  ].join('\n')
  const goals = [
    targetTable(targets),
    `| loader ≤ 300 bytes per member site | ${loader.perSite} bytes (${loader.sites} sites, ${loader.total} bytes in all) | ${loader.perSite <= 300 ? 'yes' : '**no**'} |`,
    '| the bounce adds exactly two hops (to the hub and back) | member 302 → hub /pull 302 → member /accept 303 → page: 2 extra documents (pull, accept) | yes |',
  ].join('\n')
  console.log(`\n${table}\n\n${goals}\n`)
  const versions = (names: string[]) => names.map((n) => `${n} ${(require_(n) as { version: string }).version}`).join(', ')
  let redisVersion = 'unknown'
  try {
    redisVersion = execFileSync('redis-server', ['--version']).toString().match(/v=(\S+)/)?.[1] ?? redisVersion
  } catch {}
  const md = `# Benchmarks

Measured by \`npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, Redis ${redisVersion}.
${hasTaskset ? 'Servers pinned to core 0, the load generator (autocannon) to core 1.' : 'No taskset: servers and load generator share the cores.'} ${ROUNDS} rounds of ${DURATION} s per case, interleaved, ${CONNECTIONS} connections, after a warm-up of ${WARMUP.toLocaleString('en')} requests; the median of the rounds is shown. Every case answers a tiny body on \`GET /\` (or its endpoint) with an existing session cookie; session cases read and write one value.

**CPU µs/req** is the server process's CPU time (user + system, \`process.cpuUsage()\` read in the server over IPC at the start and end of each window) divided by the requests answered in it. It is what the targets use: req/s on this machine (two cores shared with other work) swings by 2× between runs of the same code; CPU per request moves less, though still with the machine's load (see Analysis). **× bare node:http (CPU)** is bare's CPU per request over the case's (1 = as cheap as bare node:http, 0.5 = twice the CPU). **Over its bare framework** is what the case adds to the same framework with no session at all. **Redis CPU µs/req** is the Redis server's own CPU (\`INFO cpu\`) over the window per request: indicative only, since anything else using this Redis counts too.

${table}

## Targets

Ratios of CPU per request, all from this one run: each computed within every round (so the cases compared were measured seconds apart), the median over the rounds shown; the figures in brackets are the medians of the table.

${goals}

Versions: ${versions(['express', 'express-session', 'connect-redis', 'redis', 'fastify', '@fastify/session', 'hono', '@hono/node-server', 'jose', 'ioredis', 'better-sqlite3', 'autocannon'])}.

Ratios come from one run on one machine: compare them, not the absolute numbers, across machines.
`
  const path = new URL('../docs/benchmarks.md', import.meta.url)
  if (WRITE) {
    // Keep the sections other runs wrote (`--scale`, `npm run soak`): this run replaces only its own.
    let kept = ''
    try {
      kept = readFileSync(path, 'utf8').match(/\n## (Analysis|Scale|Soak|Profiles)[\s\S]*$/)?.[0] ?? ''
    } catch {}
    writeFileSync(path, md + kept)
    console.log('wrote docs/benchmarks.md')
  }
  if (PROFILE) {
    const sections: string[] = []
    for (const r of running) {
      const file = join(profileDir, `${r.c.id}.cpuprofile`)
      await ask(r, { op: 'profile-stop', file })
      if (!Object.values(BARE).includes(r.c.id)) sections.push(`### ${r.c.label}\n\n${summarizeProfile(file)}\n`)
    }
    if (WRITE) {
      const doc = readFileSync(path, 'utf8').replace(/\n## Profiles\n[\s\S]*?(?=\n## |$)/, '\n').replace(/\n+$/, '\n')
      writeFileSync(path, `${doc}\n## Profiles\n\n\`npm run bench -- ${args.join(' ')}\`: V8's CPU profiler in each server over its measured windows (start-up and warm-up excluded); self time by function, as shares of the time the server was busy (the load generator excluded).\n\n${sections.join('\n')}`)
      console.log('wrote the Profiles section of docs/benchmarks.md')
    } else {
      console.log(sections.join('\n'))
    }
  }
} finally {
  for (const r of running) r.child.kill()
  if (redisAdmin.status === 'ready') await deleteKeys(`bench:*:${process.pid}:*`)
  redisAdmin.disconnect()
  if (cases.some((c) => c.env?.BENCH_STORE === 'postgres')) await dropSchema(PG_SCHEMA)
}

/** This run's keys in Redis (sessions, links, nonces of every case), so runs leave nothing behind. */
async function deleteKeys(pattern: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redisAdmin.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    if (keys.length) await redisAdmin.unlink(...keys)
    cursor = next
  } while (cursor !== '0')
}

async function dropSchema(schema: string): Promise<void> {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' })
  try {
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } catch (err) {
    console.error(`bench: could not drop PostgreSQL schema ${schema}: ${(err as Error).message}`)
  } finally {
    await client.end().catch(() => {})
  }
}

/** The targets of issue 13, from a CPU-per-request figure for each case id (NaN where a case did not run). */
function targetsFrom(cpuOf: (id: string) => number): Target[] {
  const label = (id: string) => CASES.find((c) => c.id === id)?.label ?? id
  const added = (ours: string, theirs: string, framework: string): Target => {
    const b = cpuOf(framework)
    return {
      name: `on ${label(framework).replace(/^bare /, '')}: CPU the member + Redis adds ≤ 0.5 of what ${label(theirs).replace(/^\w+ \+ /, '')} adds`,
      value: addedShare({ ours: cpuOf(ours), theirs: cpuOf(theirs), bare: b }),
      goal: 0.5,
      kind: 'max',
      unit: '',
      detail: `+${formatMicros(cpuOf(ours) - b)} µs against +${formatMicros(cpuOf(theirs) - b)} µs per request`,
    }
  }
  const vsBare = (id: string, goal: number, name: string): Target => ({
    name: `${name} ≥ ${goal}× bare node:http`,
    value: relativeToBase(cpuOf(id), cpuOf('bare')),
    goal,
    kind: 'min',
    unit: '×',
    detail: `${formatMicros(cpuOf(id))} µs against ${formatMicros(cpuOf('bare'))} µs per request`,
  })
  return [
    added('member-express-redis', 'express-redis', 'bare-express'),
    added('member-fastify-redis', 'fastify-session-redis', 'bare-fastify'),
    vsBare('member-redis', 0.5, 'node:http member + Redis, read + write'),
    vsBare('forward-auth', 0.8, 'forward-auth'),
    vsBare('push', 0.25, 'push with Redis'),
    vsBare('pull', 0.3, 'pull with Redis'),
  ]
}

function require_(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8'))
}
