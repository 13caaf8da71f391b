import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { decodeJwt } from 'jose'
import { sidDigest } from '../../src/confirm/cookies.js'

/** Debian's Python: the one `.ci/run` installs Flask, PyJWT and cryptography into (not a pyenv one on PATH). */
export const PYTHON = '/usr/bin/python3'
const APP = fileURLToPath(new URL('../../examples/python-flask/app.py', import.meta.url))
/** The package's source tree: the example imports `shared_session` from it (install.test.ts checks `pip install ./python` itself). */
export const PACKAGE_SRC = fileURLToPath(new URL('../../python/src', import.meta.url))

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * Throw, with what to do, unless Debian's Python has everything the example
 * imports. Never a skip: CI installs them, so a missing one is a broken machine.
 */
export function assertPythonReady(): void {
  const check = spawnSync(PYTHON, ['-c', 'import flask, django, jwt, cryptography'], { encoding: 'utf8' })
  if (check.error || check.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import flask, django, jwt and cryptography (${check.error?.message ?? check.stderr.trim()}). ` +
        'Run scripts/setup.sh (it installs python3-flask, python3-django, python3-jwt and python3-cryptography), or apt-get install them.',
    )
  }
}

/** The binding cookie of a Python app on an http hub (`__Host-ss-bound` on https). */
export const BOUND_COOKIE = 'ss-bound'

/**
 * `cookie` as a browser in which the hub has confirmed the session of the
 * token it carries sends it: with the binding cookie the package's
 * confirmation callback records, `ss-bound=D(sid).-` (the first token's, if
 * several; nothing for one that does not decode). flask-confirm.test.ts walks
 * the round trip itself; these tests are about what comes after it.
 */
export function confirmed(cookie: string, tokenCookie = 'ss-token'): string {
  const token = cookie.split(';').map((part) => part.trim()).find((part) => part.startsWith(`${tokenCookie}=`))?.slice(tokenCookie.length + 1)
  let sid: unknown
  try {
    sid = token ? decodeJwt(token).sid : undefined
  } catch {
    sid = undefined
  }
  return typeof sid === 'string' ? `${cookie}; ${BOUND_COOKIE}=${sidDigest(sid)}.-` : cookie
}

/** Hub options for these tests: many sign-ins of alice in a minute, which is not what they test (test/hub has the rate limit's own tests). */
export const GENEROUS_RATE_LIMIT = {
  rateLimit: { perAccount: { max: 1000, windowMs: 60_000 }, perAddress: { max: 1000, windowMs: 60_000 }, anonymousPerAddress: { max: 1000, windowMs: 60_000 } },
}

/** A running Python web app (the Flask or the Django example). */
export interface FlaskApp {
  port: number
  /** http://127.0.0.1:<port>, for Node's fetch. */
  url: string
  /** What the process wrote to stdout and stderr so far (Flask and Django log every request there). */
  output(): string
  stop(): Promise<void>
}

/** Start the example app with exactly `env` (plus PATH) on 127.0.0.1:`port`, resolved once it answers. */
export async function startFlaskApp(port: number, env: Record<string, string>): Promise<FlaskApp> {
  return startPythonApp([APP], port, { HOST: '127.0.0.1', PORT: String(port), ...env })
}

/**
 * Start `python <args>` with the package on PYTHONPATH and exactly `env`
 * (plus PATH); resolved once http://127.0.0.1:`port`/api/me answers.
 */
export async function startPythonApp(args: string[], port: number, env: Record<string, string>, options: { cwd?: string } = {}): Promise<FlaskApp> {
  const child = spawn(PYTHON, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', PYTHONPATH: PACKAGE_SRC, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const app: FlaskApp = { port, url: `http://127.0.0.1:${port}`, output: () => output, stop: () => stopChild(child) }
  try {
    await waitUntilAnswering(app, child)
  } catch (err) {
    await app.stop()
    throw err
  }
  return app
}

async function waitUntilAnswering(app: FlaskApp, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the Python app exited (${child.exitCode ?? child.signalCode}) before answering:\n${app.output()}`)
    }
    try {
      await fetch(`${app.url}/api/me`, { signal: AbortSignal.timeout(1000) })
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  throw new Error(`the Python app did not answer on ${app.url} within 15 s:\n${app.output()}`)
}

/** SIGTERM, then SIGKILL if it lingers; resolves once the process is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}
