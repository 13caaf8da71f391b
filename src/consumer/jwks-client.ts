import { SharedSessionError } from '../errors/shared-session-error.js'
import { importVerificationKeys, type VerificationKeys } from '../keys/verification-keys.js'

/**
 * The hub's public keys, fetched from its JWKS URL and cached.
 *
 * @example
 * ```ts
 * const jwks = createJwksClient({ url: 'https://auth.acme.com/.well-known/jwks.json' })
 * const keys = await jwks.keys()
 * ```
 */
export interface JwksClient {
  /** The cached keys, fetched when missing or older than `maxAgeMs`. */
  keys(): Promise<VerificationKeys>
  /**
   * Fetch again because a token named an unknown `kid` (a rotation) — at
   * most once per `minRefreshMs`, so tokens with random kids cannot make
   * us hammer the hub.
   */
  refresh(): Promise<VerificationKeys>
}

/** Options of {@link createJwksClient}. */
export interface JwksClientOptions {
  url: string
  /** Keys are re-fetched after this long. Default 5 minutes. */
  maxAgeMs?: number
  /** Unknown-kid refreshes, and retries after a failed fetch, happen at most this often. Default 30 s. */
  minRefreshMs?: number
  /** A fetch taking longer fails. Default 3 s. */
  timeoutMs?: number
  fetch?: typeof globalThis.fetch
  now?: () => number
}

/**
 * A {@link JwksClient}. When the hub cannot be reached, stale keys keep
 * working; with no keys at all the call fails with ERR_JWKS_UNAVAILABLE (503).
 *
 * @example
 * ```ts
 * const jwks = createJwksClient({ url: `${hub}/.well-known/jwks.json`, maxAgeMs: 60_000 })
 * ```
 */
export function createJwksClient(options: JwksClientOptions): JwksClient {
  const { url, maxAgeMs = 300_000, minRefreshMs = 30_000, timeoutMs = 3000, now = Date.now } = options
  const fetchFn = options.fetch ?? globalThis.fetch
  let cached: { keys: VerificationKeys; at: number } | null = null
  let lastAttempt = -Infinity
  // After a failed fetch, stale keys are served without asking again until then: a hub that is down (or hangs until timeoutMs) is not asked on every request.
  let retryAt = -Infinity
  let inflight: Promise<VerificationKeys> | null = null

  const load = (): Promise<VerificationKeys> => {
    inflight ??= (async () => {
      lastAttempt = now()
      try {
        const response = await fetchFn(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } })
        if (!response.ok) throw new Error(`HTTP ${response.status}`)
        const keys = await importVerificationKeys(await response.json())
        cached = { keys, at: now() }
        return keys
      } catch (cause) {
        retryAt = now() + minRefreshMs
        if (cached) return cached.keys
        throw new SharedSessionError('ERR_JWKS_UNAVAILABLE', `cannot fetch the hub's keys from ${url}: ${(cause as Error).message}`, { cause })
      } finally {
        inflight = null
      }
    })()
    return inflight
  }

  return {
    keys: () => (cached && (now() - cached.at < maxAgeMs || now() < retryAt) ? Promise.resolve(cached.keys) : load()),
    refresh: () => (now() - lastAttempt < minRefreshMs && cached ? Promise.resolve(cached.keys) : load()),
  }
}
