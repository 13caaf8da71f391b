/**
 * One hub or member instance in a child process, configured from the
 * environment (as bench/servers do), for the multi-process suites. Listens
 * on a free port of 127.0.0.1 and prints `READY {"port":N}`.
 *
 *   ROLE      hub | member
 *   SITE      the member's site name (member only)
 *   ORIGINS   JSON { hub, <site>: origin… }: the deployment's public origins
 *   KEYS      JSON keys configuration (every instance the same)
 *   STORE     redis | sqlite;  REDIS_URL + REDIS_PREFIX, or SQLITE_PATH
 *   USERS     the users SQLite file (hub only)
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeListener } from '../../src/adapters/node/listener.js'
import { createHub } from '../../src/hub/create-hub.js'
import type { KeysConfig } from '../../src/keys/config.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { createMember } from '../../src/member/create-member.js'
import { createRedisStore } from '../../src/stores/redis/index.js'
import { createSqliteStore } from '../../src/stores/sqlite/index.js'
import { createSqliteUserDirectory } from '../../src/users/sqlite-directory.js'
import { memberApp } from './member-app.js'

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`instance: ${name} is not set`)
  return value
}

const origins = JSON.parse(env('ORIGINS')) as Record<string, string>
const keys = await loadKeyRing(JSON.parse(env('KEYS')) as KeysConfig)
const store =
  env('STORE') === 'redis'
    ? createRedisStore({ url: env('REDIS_URL'), prefix: env('REDIS_PREFIX') })
    : createSqliteStore({ path: env('SQLITE_PATH'), busyTimeoutMs: 5_000 })
const sites = Object.entries(origins)
  .filter(([name]) => name !== 'hub')
  .map(([name, origin]) => ({ name, origin }))
const log = (message: string) => void process.stderr.write(`${message}\n`)

let listener
if (env('ROLE') === 'hub') {
  const users = createSqliteUserDirectory({ path: env('USERS') })
  const hub = createHub({ origin: origins.hub!, parentDomain: 'acme.localhost', keys, store, users, sites, log })
  listener = toNodeListener(hub.fetch, { origin: hub.origin })
} else {
  const site = env('SITE')
  const member = createMember({
    site,
    sites,
    hub: origins.hub!,
    keys,
    store,
    bounce: 'never',
    // A member on the hub's parent domain reads the hub's token cookie (a reason to pull, never a session to adopt).
    ...(new URL(origins[site]!).hostname.endsWith('.acme.localhost') ? { token: { audience: 'acme.localhost' } } : {}),
    log,
  })
  listener = memberApp(member)
}

const server = createServer(listener)
server.keepAliveTimeout = 30_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
})
process.on('SIGTERM', () => {
  server.closeAllConnections()
  server.close()
  void store.close().finally(() => process.exit(0))
})
