import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { stopChild } from '../helpers/child.js'

const ROOT = new URL('../..', import.meta.url).pathname
const SCRIPT = new URL('./instance.ts', import.meta.url).pathname

/** A hub or member instance running in a child process (see instance.ts). */
export interface Instance {
  name: string
  port: number
  /** http://127.0.0.1:port: where this test sends its requests. */
  url: string
  child: ChildProcess
  /** stdout and stderr so far (for failure messages). */
  output(): string
  /** Whether the process is still running. */
  alive(): boolean
  /** Stop it (SIGTERM, then SIGKILL after 5 s) and wait for the exit. Safe to call twice. */
  close(): Promise<void>
}

/** Start an instance with this environment and wait for its READY line (20 s at most). */
export async function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stderr!.on('data', (chunk) => (out = (out + chunk).slice(-20_000)))
  const close = (): Promise<void> => stopChild(child)
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no READY within 20 s\n${out}`)), 20_000)
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`${name}: exited (${code ?? signal}) before READY\n${out}`))
      })
      createInterface({ input: child.stdout! }).on('line', (line) => {
        out = (out + line + '\n').slice(-20_000)
        if (line.startsWith('READY ')) {
          clearTimeout(timer)
          resolve((JSON.parse(line.slice(6)) as { port: number }).port)
        }
      })
    })
    return {
      name,
      port,
      url: `http://127.0.0.1:${port}`,
      child,
      output: () => out,
      alive: () => child.exitCode === null && child.signalCode === null,
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}
