/**
 * Shared plumbing of the benchmark servers: the port and key ring from the
 * environment, and the READY line the runner waits for.
 */
import type { Server } from 'node:http'
import type { KeysConfig } from '../../src/keys/config.js'
import { loadKeyRing, type KeyRing } from '../../src/keys/key-ring.js'

export const PORT = Number(process.env.BENCH_PORT ?? 0)

// A clean exit on SIGTERM, so `node --cpu-prof` writes its profile.
process.on('SIGTERM', () => process.exit(0))
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
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
