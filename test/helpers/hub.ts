import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toNodeListener } from '../../src/adapters/node/listener.js'
import { createHub, type Hub } from '../../src/hub/create-hub.js'
import type { HubOptions } from '../../src/hub/options.js'
import { generateKeysConfig } from '../../src/keys/generate.js'
import { loadKeyRing, type KeyRing } from '../../src/keys/key-ring.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import type { SessionStore } from '../../src/stores/store.js'
import { createSqliteUserDirectory, type SqliteUserDirectory } from '../../src/users/sqlite-directory.js'

/** A running hub for tests: real HTTP server on 127.0.0.1, SQLite users, alice seeded. */
export interface TestHub {
  hub: Hub
  /** The configured public origin, e.g. http://auth.acme.localhost:41234 (what browsers use). */
  origin: string
  /** The same server by IP, for Node's fetch (Node does not resolve *.localhost). */
  url: string
  port: number
  ring: KeyRing
  store: SessionStore
  users: SqliteUserDirectory
  close(): Promise<void>
}

export const ALICE = { username: 'alice', password: 'wonderland', email: 'alice@acme.example', name: 'Alice Liddell' }

let ringPromise: Promise<KeyRing> | undefined
/** One key ring per test process: generating keys is cheap, but there is no need to. */
export function sharedRing(): Promise<KeyRing> {
  ringPromise ??= generateKeysConfig().then(loadKeyRing)
  return ringPromise
}

/**
 * Start a hub on a free port. `host` is the hub's host name (default
 * auth.acme.localhost) and `parentDomain` defaults to acme.localhost.
 */
export async function startTestHub(
  options: Partial<Omit<HubOptions, 'origin'>> & { host?: string; listen?: string; sitePorts?: Record<string, number> } = {},
): Promise<TestHub> {
  const dir = mkdtempSync(join(tmpdir(), 'ss-hub-'))
  const users = createSqliteUserDirectory({ path: join(dir, 'users.sqlite') })
  await users.add(ALICE)
  const store = options.store ?? createMemoryStore()
  const ring = options.keys ?? (await sharedRing())
  let hub: Hub | undefined
  const server: Server = createServer((req, res) => listener!(req, res))
  let listener: ReturnType<typeof toNodeListener> | undefined
  await new Promise<void>((resolve) => server.listen(0, options.listen ?? '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const origin = `http://${options.host ?? 'auth.acme.localhost'}:${port}`
  hub = createHub({ parentDomain: 'acme.localhost', ...options, origin, keys: ring, store, users })
  listener = toNodeListener(hub.fetch, { origin })
  return {
    hub,
    origin,
    url: `http://127.0.0.1:${port}`,
    port,
    ring,
    store,
    users,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      users.close()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
