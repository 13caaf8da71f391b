/**
 * Shared plumbing of the benchmark servers: the port and key ring from the
 * environment, and the READY line the runner waits for.
 */
import { writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { Session } from 'node:inspector/promises'
import type { KeysConfig } from '../../src/keys/config.js'
import { loadKeyRing, type KeyRing } from '../../src/keys/key-ring.js'

export const PORT = Number(process.env.BENCH_PORT ?? 0)

process.on('SIGTERM', () => process.exit(0))
// The runner asks, over IPC: this process's CPU time (at the start and end of each measured
// window), and with --profile to start V8's CPU profiler after the warm-up and to write the
// profile after the last window, so start-up and warm-up stay out of it.
let profiler: Session | undefined
process.on('message', (message: { op: string; file?: string }) => {
  const reply = (value: unknown) => process.send?.(value)
  if (message.op === 'cpu') reply({ cpu: process.cpuUsage() })
  else if (message.op === 'profile-start') {
    profiler = new Session()
    profiler.connect()
    void profiler.post('Profiler.enable').then(() => profiler!.post('Profiler.start')).then(() => reply({ ok: true }))
  } else if (message.op === 'profile-stop' && profiler && message.file) {
    void profiler.post('Profiler.stop').then(({ profile }) => {
      writeFileSync(message.file!, JSON.stringify(profile))
      reply({ ok: true })
    })
  }
})
// The IPC channel must not keep a server alive on its own, nor stop one from exiting.
process.channel?.unref()
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
/** A Redis key prefix of this server's own, so cases never share keys. */
export const PREFIX = process.env.BENCH_PREFIX ?? `bench:${process.pid}:`

export function ring(): Promise<KeyRing> {
  return loadKeyRing(JSON.parse(process.env.BENCH_KEYS ?? 'null') as KeysConfig)
}

/** Listen on 127.0.0.1 and tell the runner, with anything it needs (a cookie, a token). */
export function ready(server: Server, extra: Record<string, string> = {}): void {
  server.listen(PORT, '127.0.0.1', () => {
    process.stdout.write(`READY ${JSON.stringify(extra)}\n`)
  })
  server.keepAliveTimeout = 60_000
}
