import { dirname } from 'node:path'
import { mkdirSync } from 'node:fs'
import { SharedSessionError } from '../errors/shared-session-error.js'
import type { SessionStore } from '../stores/store.js'

/**
 * Open the store a URL names: `sqlite:<path>` (the embedded default),
 * `redis://host:port[/db]` (many instances), `memory:` (tests). Drivers are
 * loaded only when used. A URL of another kind is refused with the list of
 * kinds.
 *
 * @example
 * ```ts
 * const store = await openStore('redis://127.0.0.1:6379/0')
 * ```
 */
export async function openStore(url: string): Promise<SessionStore> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length)
    if (!path) throw invalid(url)
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    const { createSqliteStore } = await import('../stores/sqlite/index.js')
    return createSqliteStore({ path })
  }
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    try {
      new URL(url)
    } catch {
      throw invalid(url)
    }
    const { createRedisStore } = await import('../stores/redis/index.js')
    return createRedisStore({ url })
  }
  if (url === 'memory:') {
    const { createMemoryStore } = await import('../stores/memory/index.js')
    return createMemoryStore()
  }
  throw invalid(url)
}

function invalid(url: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIG_INVALID', `store URL ${JSON.stringify(url)} is not one of sqlite:<path>, redis://host:port[/db], memory:`, { detail: 'store' })
}
