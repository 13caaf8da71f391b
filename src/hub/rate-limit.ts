/**
 * A fixed-window counter per key (an account, an address, a client) in the
 * memory of one hub process. Sign-in attempts are counted before the slow
 * hash and forgiven when they succeed, so concurrent guesses count while in
 * flight. With several hub instances each counts on its own.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ max: 5, windowMs: 15 * 60_000 })
 * if (limiter.blockedFor('acct:alice') > 0) return tooMany()
 * limiter.fail('acct:alice')
 * ```
 */
export interface RateLimiter {
  /** Milliseconds until `key` may try again; 0 when it may try now. */
  blockedFor(key: string): number
  /** Count a failure against `key`. */
  fail(key: string): void
  /** Forget `key` (after a success). */
  reset(key: string): void
  /** Take back one counted failure of `key` (an attempt counted in advance that succeeded). */
  forgive(key: string): void
  /** Count one use of `key` and say whether it was within the limit (false: refused, not counted). */
  take(key: string): boolean
}

/** Limits for one kind of key. */
export interface RateLimit {
  max: number
  windowMs: number
}

/**
 * A {@link RateLimiter} with at most `max` failures per `windowMs`.
 *
 * @example
 * ```ts
 * const perAddress = createRateLimiter({ max: 20, windowMs: 900_000 })
 * ```
 */
export function createRateLimiter(limit: RateLimit, now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, { start: number; failures: number }>()
  const current = (key: string) => {
    const w = windows.get(key)
    if (w && now() - w.start >= limit.windowMs) {
      windows.delete(key)
      return undefined
    }
    return w
  }
  return {
    blockedFor(key) {
      const w = current(key)
      return w && w.failures >= limit.max ? w.start + limit.windowMs - now() : 0
    },
    fail(key) {
      const w = current(key)
      if (w) w.failures++
      else windows.set(key, { start: now(), failures: 1 })
      // Bound memory under a flood of distinct keys: forget expired windows.
      if (windows.size > 10_000) for (const k of windows.keys()) current(k)
    },
    reset(key) {
      windows.delete(key)
    },
    forgive(key) {
      const w = current(key)
      if (w && w.failures > 0) w.failures--
    },
    take(key) {
      if (this.blockedFor(key) > 0) return false
      this.fail(key)
      return true
    },
  }
}
