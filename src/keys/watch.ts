import { unwatchFile, watchFile, type Stats } from 'node:fs'
import type { KeysConfig, MemberKeysConfig } from './config.js'
import { loadKeyRing, type KeyRing } from './key-ring.js'

/**
 * A running key ring that follows its configuration file; `close()` stops
 * following.
 *
 * @example
 * ```ts
 * const watcher = watchKeyRing(ring, { path: 'shop.json', read: () => readMemberConfig('shop.json').keys })
 * process.once('SIGTERM', () => watcher.close())
 * ```
 */
export interface KeyRingWatcher {
  /** Load the file now (also what the watcher does on a change). Resolves true when the ring changed. */
  reload(): Promise<boolean>
  close(): void
}

/**
 * Keep a loaded {@link KeyRing} up to date without a restart: the file is
 * checked every `intervalMs` (default 2 s; a stat, robust to editors and
 * atomic renames) and reloaded when it changed, and the ring is reloaded
 * again when a key's `activeFrom` comes (a rotation's overlap ends). The
 * ring is updated in place, so a hub or member holding it sees the new
 * keys on its next request. A file that does not load (half written, bad
 * key) leaves the ring as it was and logs one line; the next change is
 * tried again.
 *
 * @example
 * ```ts
 * const ring = await loadKeyRing(readConfig('shared-session.json', process.env).keys)
 * watchKeyRing(ring, { path: 'shared-session.json', read: () => readConfig('shared-session.json', process.env).keys })
 * ```
 */
export function watchKeyRing(
  ring: KeyRing,
  options: { path: string; read: () => KeysConfig | MemberKeysConfig; intervalMs?: number; log?: (line: string) => void; onReload?: (ring: KeyRing) => void },
): KeyRingWatcher {
  const log = options.log ?? console.error
  let timer: NodeJS.Timeout | undefined
  let closed = false
  let loading: Promise<boolean> | undefined
  const schedule = () => {
    if (timer) clearTimeout(timer)
    timer = undefined
    if (closed || ring.nextChange === null) return
    // setTimeout holds at most ~24.8 days; a later change is re-armed by the next reload.
    timer = setTimeout(() => void reload(), Math.min(Math.max(ring.nextChange - Date.now(), 0) + 5, 2 ** 31 - 1))
    timer.unref()
  }
  const load = async (): Promise<boolean> => {
    let fresh: KeyRing
    try {
      fresh = await loadKeyRing(options.read())
    } catch (err) {
      log(`shared-session: keys in ${options.path} not reloaded, still using the previous ones: ${(err as Error).message}`)
      return false
    }
    if (closed) return false
    const changed = fingerprint(fresh) !== fingerprint(ring)
    Object.defineProperties(ring, Object.getOwnPropertyDescriptors(fresh))
    schedule()
    if (changed) options.onReload?.(ring)
    return changed
  }
  const reload = (): Promise<boolean> => {
    // One load at a time; a change during a load is picked up by the next stat.
    loading ??= load().finally(() => (loading = undefined))
    return loading
  }
  const onChange = (current: Stats, previous: Stats) => {
    if (current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino || current.size !== previous.size) void reload()
  }
  watchFile(options.path, { interval: options.intervalMs ?? 2000, persistent: false }, onChange)
  schedule()
  return {
    reload,
    close() {
      closed = true
      if (timer) clearTimeout(timer)
      unwatchFile(options.path, onChange)
    },
  }
}

/** What identifies a ring's keys, to tell a real change from a rewrite of the same file. */
function fingerprint(ring: KeyRing): string {
  return JSON.stringify([ring.handoff.map((k) => k.id.toString('base64url')), [...ring.verification.keys()], ring.holdsPrivateKeys ? ring.signer.kid : null])
}
