import { spawn, type ChildProcess } from 'node:child_process'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

/** The CLI's entry point, run from source through tsx (resolved here, so any cwd works). */
export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))
const TSX = import.meta.resolve('tsx')

/** The environment of a person who set none of the overrides. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) if (name.startsWith('SHARED_SESSION_') || name.startsWith('NODE_TEST')) delete env[name]
  return { ...env, ...extra }
}

/** Start `shared-session <args>` in `cwd`; stdin gets `input` (then EOF) when given. */
export function spawnCli(args: string[], options: { cwd: string; env?: Record<string, string>; input?: string }): ChildProcess {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: options.cwd, env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] })
  child.stdin!.end(options.input ?? '')
  return child
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Run `shared-session <args>` to the end (killed after `timeoutMs`). */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string>; input?: string; timeoutMs?: number }): Promise<CliResult> {
  const child = spawnCli(args, options)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/** A command that failed as a person would want: non-zero, exactly one line on stderr, no stack. Returns that line. */
export function assertOneLineError(r: CliResult, pattern?: RegExp): string {
  assert.notEqual(r.code, 0, `expected a failure, got exit 0\nstdout: ${r.stdout}`)
  assert.equal(r.signal, null, `ended by ${r.signal}, not by its own exit`)
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${r.stderr}`)
  assert.doesNotMatch(r.stderr, /^ {4}at /m, 'no stack frames')
  assert.match(lines[0]!, /^shared-session: \S/)
  if (pattern) assert.match(lines[0]!, pattern)
  return lines[0]!
}

/** A port nothing listens on right now (the OS picked it free; we let it go). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A base port such that base..base+count-1 are all free right now. */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = await freePort()
    if (base + count - 1 > 65535) continue
    const servers = []
    let ok = true
    for (let i = 0; i < count && ok; i++) {
      const s = createServer()
      ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false))
        s.listen(base + i, '127.0.0.1', () => resolve(true))
      })
      if (ok) servers.push(s)
    }
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
    if (ok) return base
  }
  throw new Error(`no ${count} consecutive free ports found`)
}

/** A long-running command (serve, demo): resolves once a stdout line matches `ready`. */
export interface RunningCli {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Send `signal` and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>
}

export async function startCli(args: string[], options: { cwd: string; env?: Record<string, string>; ready: RegExp; timeoutMs?: number }): Promise<RunningCli> {
  const child = spawnCli(args, options)
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d))
  const exited = new Promise<CliResult>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })))
  const running: RunningCli = {
    child,
    stdout: () => out,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      const result = await exited
      clearTimeout(timer)
      return result
    },
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`not ready after ${options.timeoutMs ?? 30_000} ms\nstdout: ${out}\nstderr: ${err}`))
    }, options.timeoutMs ?? 30_000)
    const check = () => {
      if (options.ready.test(out)) {
        clearTimeout(timer)
        child.stdout!.off('data', check)
        resolve()
      }
    }
    child.stdout!.on('data', check)
    void exited.then((r) => {
      clearTimeout(timer)
      reject(new Error(`exited (${r.code ?? r.signal}) before it was ready\nstdout: ${r.stdout}\nstderr: ${r.stderr}`))
    })
  })
  return running
}
