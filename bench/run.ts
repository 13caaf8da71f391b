/**
 * `npm run bench`: every case's server started here (pinned to core 0 with
 * taskset where it exists; the load generator runs on core 1), each case
 * measured several times, interleaved, and printed side by side with bare
 * node:http from the same run. Writes docs/benchmarks.md.
 *
 *   npm run bench                      all cases, 3 rounds of 4 s
 *   npm run bench -- --rounds 1 --duration 2 --only bare,member-memory
 *   npm run bench -- --scale           1 million sessions in Redis (see scale.ts)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'
import { generateKeysConfig } from '../src/keys/generate.js'
import { loadKeyRing } from '../src/keys/key-ring.js'
import { sealHandoff } from '../src/handoff/seal.js'
import { CASES, type BenchCase } from './cases.js'
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
const only = flag('only', '')
/** With --profile, servers run under `node --cpu-prof` and the report says where each case's time goes. */
const PROFILE = args.includes('--profile')
const profileDir = mkdtempSync(join(tmpdir(), 'ss-bench-prof-'))
const cases = only ? CASES.filter((c) => only.split(',').includes(c.id)) : CASES
if (!cases.some((c) => c.id === 'bare')) cases.unshift(CASES.find((c) => c.id === 'bare')!)

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

interface Running {
  c: BenchCase
  child: ChildProcess
  port: number
  extra: Record<string, string>
  headers: Record<string, string>
}

async function start(c: BenchCase, port: number): Promise<Running> {
  const env = { ...process.env, ...c.env, BENCH_PORT: String(port), BENCH_KEYS: JSON.stringify(keysConfig), BENCH_PREFIX: `bench:${c.id}:${process.pid}:` }
  // One folder per case: the tsx loader's worker thread writes a profile of its own beside the main thread's.
  const profiling = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', join(profileDir, c.id)] : []
  const cmd = [process.execPath, ...profiling, join(root, '.bench-build/bench/servers', c.server.replace(/\.ts$/, '.js'))]
  const child = hasTaskset ? spawn('taskset', ['-c', '0', ...cmd], { env, stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(cmd[0]!, cmd.slice(1), { env, stdio: ['ignore', 'pipe', 'inherit'] })
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
  const headers: Record<string, string> = {}
  if (extra.authorization) headers.authorization = extra.authorization
  if (extra.cookie) headers.cookie = extra.cookie
  if (c.cookieFromFirstResponse) {
    const first = await fetch(`http://127.0.0.1:${port}/`)
    headers.cookie = first.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ')
    if (!headers.cookie) throw new Error(`${c.id}: the first response set no session cookie`)
  }
  return { c, child, port, extra, headers }
}

function measure(r: Running, duration: number): Promise<autocannon.Result> {
  const base: autocannon.Options = { url: `http://127.0.0.1:${r.port}${r.c.path ?? '/'}`, connections: CONNECTIONS, duration, headers: r.headers }
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

const running: Running[] = []
try {
  let port = 18_000 + Math.floor(Math.random() * 20_000)
  for (const c of cases) running.push(await start(c, port++))
  console.log(`bench: ${running.length} servers up${hasTaskset ? ' (servers on core 0, load on core 1)' : ''}; ${ROUNDS} round(s) of ${DURATION} s, ${CONNECTIONS} connections`)
  for (const r of running) await measure(r, 1) // warm-up: JIT, connection pools, caches
  const samples = new Map<string, { rps: number; p99: number; errors: number; non2xx: number }[]>()
  for (let round = 1; round <= ROUNDS; round++) {
    for (const r of running) {
      const result = await measure(r, DURATION)
      const list = samples.get(r.c.id) ?? []
      // Redirects are the pull's answer; only 4xx/5xx and socket errors count against a case.
      const failed = Object.entries(result.statusCodeStats ?? {}).reduce((n, [code, stat]) => (Number(code) >= 400 ? n + (stat as { count: number }).count : n), 0)
      list.push({ rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: failed })
      samples.set(r.c.id, list)
      process.stdout.write(`  round ${round} ${r.c.id.padEnd(22)} ${Math.round(result.requests.average).toString().padStart(7)} req/s  p99 ${result.latency.p99} ms\n`)
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const rows = cases.map((c) => {
    const s = samples.get(c.id)!
    return { c, rps: median(s.map((x) => x.rps)), p99: median(s.map((x) => x.p99)), errors: s.reduce((n, x) => n + x.errors + x.non2xx, 0) }
  })
  const bare = rows.find((r) => r.c.id === 'bare')!.rps
  const byId = Object.fromEntries(rows.map((r) => [r.c.id, r]))
  const loader = await loaderBytes()
  const targets = [
    ['member + Redis (read + write) ≥ 3× express-session + connect-redis', byId['member-redis'] && byId['express-redis'] ? byId['member-redis'].rps / byId['express-redis'].rps : NaN, 3, '×'],
    ['member + memory ≥ 0.5× bare', byId['member-memory'] ? byId['member-memory'].rps / bare : NaN, 0.5, '× bare'],
    ['token path: forward-auth ≥ 0.8× bare', byId['forward-auth'] ? byId['forward-auth'].rps / bare : NaN, 0.8, '× bare'],
    ['token path: consumer middleware ≥ 0.8× bare', byId.consumer ? byId.consumer.rps / bare : NaN, 0.8, '× bare'],
    ['push endpoint with Redis ≥ 0.25× bare', byId.push ? byId.push.rps / bare : NaN, 0.25, '× bare'],
  ] as const
  const table = [
    '| case | req/s (median) | p99 ms | ratio to bare | errors |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.c.label} | ${Math.round(r.rps).toLocaleString('en')} | ${r.p99} | ${(r.rps / bare).toFixed(3)} | ${r.errors} |`),
  ].join('\n')
  const goals = [
    '| target | measured | met |',
    '|---|---:|:---:|',
    ...targets.map(([name, value, goal, unit]) => `| ${name} | ${Number.isNaN(value) ? 'not run' : `${value.toFixed(2)}${unit}`} | ${Number.isNaN(value) ? '–' : value >= goal ? 'yes' : '**no**'} |`),
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

Measured by \`npm run bench${args.length ? ` ${args.join(' ')}` : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, Redis ${redisVersion}.
${hasTaskset ? 'Servers pinned to core 0, the load generator (autocannon) to core 1.' : 'No taskset: servers and load generator share the cores.'} ${ROUNDS} rounds of ${DURATION} s per case, interleaved, ${CONNECTIONS} connections, after a 1 s warm-up; the median is shown. Every case answers a tiny body on \`GET /\` (or its endpoint) with an existing session cookie; session cases read and write one value.

${table}

## Targets

${goals}

Versions: ${versions(['express', 'express-session', 'connect-redis', 'redis', 'fastify', '@fastify/session', 'jose', 'ioredis', 'better-sqlite3', 'autocannon'])}.

Ratios come from one run on one machine: compare them, not the absolute numbers, across machines.
`
  // Keep the sections other runs wrote (`--scale`, `npm run soak`): this run replaces only its own.
  const path = new URL('../docs/benchmarks.md', import.meta.url)
  let kept = ''
  try {
    kept = readFileSync(path, 'utf8').match(/\n## (Analysis|Scale|Soak|Profiles)[\s\S]*$/)?.[0] ?? ''
  } catch {}
  writeFileSync(path, md + kept)
  console.log('wrote docs/benchmarks.md')
  if (PROFILE) {
    // Servers write their profile on a clean exit (SIGTERM handler in servers/common.ts).
    await Promise.all(running.map((r) => new Promise((resolve) => (r.child.once('exit', resolve), r.child.kill('SIGTERM')))))
    const sections = running
      .filter((r) => r.c.id !== 'bare')
      .map((r) => `### ${r.c.label}\n\n${summarizeProfile(mainThreadProfile(join(profileDir, r.c.id)))}\n`)
    const path = new URL('../docs/benchmarks.md', import.meta.url)
    const doc = readFileSync(path, 'utf8').replace(/\n## Profiles\n[\s\S]*?(?=\n## |$)/, '\n').replace(/\n+$/, '\n')
    writeFileSync(path, `${doc}\n## Profiles\n\n\`npm run bench -- ${args.join(' ')}\`: each server under \`node --cpu-prof\` for the whole run; self time by function (the load generator excluded).\n\n${sections.join('\n')}`)
    console.log('wrote the Profiles section of docs/benchmarks.md')
  }
} finally {
  for (const r of running) r.child.kill()
}

/** The main thread's profile in a folder of profiles: the largest one. */
function mainThreadProfile(dir: string): string {
  const files = readdirSync(dir).map((f) => join(dir, f))
  return files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!
}

function require_(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8'))
}
