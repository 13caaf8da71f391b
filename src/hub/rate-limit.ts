import type { SessionStore } from '../stores/store.js'

/**
 * A fixed-window counter per key (an address, a client) in the memory of
 * one process: with several hub instances each counts on its own. Used
 * where that is enough (the flood guard on anonymous sessions a pull makes,
 * the OIDC token endpoint); the sign-in limits, which must hold across
 * instances, count in the store ({@link createStoreRateLimiter}).
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

/**
 * A fixed-window limit per key counted in the session store, so every hub
 * instance on that store counts together. An attempt is counted as a
 * failure when it starts (before any slow work), so attempts in flight at
 * once are counted; one that turns out fine is taken back (`forgive`) or
 * wipes the key (`reset`).
 *
 * @example
 * ```ts
 * const limiter = createStoreRateLimiter(store, { max: 5, windowMs: 15 * 60_000 })
 * const wait = await limiter.attempt('account:alice')
 * if (wait > 0) return tooMany(wait)
 * ```
 */
export interface StoreRateLimiter {
  /**
   * Count one attempt of `key` as a failure and return 0, or, when `key`
   * has used up its window, count nothing and return the milliseconds until
   * it may try again.
   */
  attempt(key: string): Promise<number>
  /** Take back one counted failure of `key` (an attempt counted in advance that succeeded, or was refused elsewhere). */
  forgive(key: string): Promise<void>
  /** Forget `key` (after a success). */
  reset(key: string): Promise<void>
}

/**
 * A {@link StoreRateLimiter} with at most `max` failures per `windowMs`,
 * kept as store counters named `limit:<key>` (apart from sessions, links
 * and nonces by the store contract).
 *
 * Count first, then look: the store adds atomically, so of attempts racing
 * for the last free place exactly one gets it, on any instance; the others
 * see a count over `max` and take theirs back, so a refused attempt counts
 * nowhere, as before.
 *
 * @example
 * ```ts
 * const perAccount = createStoreRateLimiter(ctx.store, { max: 5, windowMs: 900_000 }, ctx.now)
 * ```
 */
export function createStoreRateLimiter(store: SessionStore, limit: RateLimit, now: () => number = Date.now): StoreRateLimiter {
  const name = (key: string) => `limit:${key}`
  return {
    async attempt(key) {
      const at = now()
      const counted = await store.addToCounter(name(key), 1, at + limit.windowMs, at)
      if (counted.value <= limit.max) return 0
      await store.addToCounter(name(key), -1, at + limit.windowMs, now())
      return Math.max(1, counted.expiresAt - at)
    },
    async forgive(key) {
      const at = now()
      await store.addToCounter(name(key), -1, at + limit.windowMs, at)
    },
    async reset(key) {
      await store.deleteCounter(name(key))
    },
  }
}
