import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A free TCP port on 127.0.0.1 (asked of the OS, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * A redis-server of a test's own, on a free port of 127.0.0.1, persisting
 * every write (`appendfsync always`) in a temporary folder, so it can be
 * stopped and started again on the same port with its data intact.
 */
export interface OwnRedis {
  port: number
  url: string
  /** Stop it (SIGTERM, SIGKILL after 5 s) and wait for the exit. */
  stop(): Promise<void>
  /** Start it again on the same port and folder, and wait until it answers. */
  start(): Promise<void>
  /** Stop it for good and remove its folder. Safe to call twice. */
  close(): Promise<void>
  /** What it printed (for failure messages). */
  output(): string
}

/** Start a private redis-server; retried on another port when the chosen one is taken. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'ss-redis-'))
  let out = ''
  let child: ChildProcess | undefined
  let port = 0

  const launch = async (): Promise<boolean> => {
    const c = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--loglevel', 'warning', '--logfile', ''],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child = c
    c.stdout!.on('data', (chunk) => (out = (out + chunk).slice(-20_000)))
    c.stderr!.on('data', (chunk) => (out = (out + chunk).slice(-20_000)))
    const exited = new Promise<false>((resolve) => c.once('exit', () => resolve(false)))
    const answering = (async () => {
      for (let i = 0; i < 100; i++) {
        if (c.exitCode !== null) return false
        if (await pings(port)) return true
        await new Promise((r) => setTimeout(r, 50))
      }
      return false
    })()
    return Promise.race([answering, exited])
  }

  const stop = async (): Promise<void> => {
    const c = child
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise((resolve) => c.once('exit', resolve))
    c.kill('SIGTERM')
    const timer = setTimeout(() => c.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }

  for (let attempt = 0; ; attempt++) {
    port = await freePort()
    if (await launch()) break
    await stop()
    if (attempt >= 5) {
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`redis-server did not start:\n${out}`)
    }
  }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    async start() {
      for (let attempt = 0; attempt < 20; attempt++) {
        if (await launch()) return
        await stop()
        // The port may linger for a moment after the old process exits.
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error(`redis-server did not restart on ${port}:\n${out}`)
    },
    async close() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
    output: () => out,
  }
}

/** Whether a Redis server answers PING on this port within 500 ms. */
export async function pings(port: number): Promise<boolean> {
  const { connect } = await import('node:net')
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    const done = (ok: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), 500)
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      answer += chunk
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'))
    })
  })
}
