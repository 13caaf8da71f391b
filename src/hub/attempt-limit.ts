import type { SessionStore } from '../stores/store.js'
import type { RateLimit } from './rate-limit.js'

/**
 * A limit on attempts (sign-ins) per key, counted in the session store, so
 * it holds under concurrency and across every hub instance that shares the
 * store. An attempt takes a slot before any slow work (the password hash),
 * so 30 guesses sent at once get `max` evaluations, not 30. Slots are
 * single-use nonces (`consumeNonce`, atomic in every store) of the current
 * fixed window, and expire with it. Successful attempts count too: the
 * limit is "at most `max` sign-in attempts per window", a bound a person
 * never meets and a guesser always does.
 *
 * @example
 * ```ts
 * const limiter = createAttemptLimiter(store, { max: 10, windowMs: 15 * 60_000 })
 * const wait = await limiter.attempt('account:alice')
 * if (wait > 0) return tooMany(wait)
 * ```
 */
export interface AttemptLimiter {
  /** Take one attempt for `key` now: 0 when allowed, else the milliseconds until the window ends. */
  attempt(key: string): Promise<number>
}

/**
 * An {@link AttemptLimiter} on a store.
 *
 * @example
 * ```ts
 * const perAccount = createAttemptLimiter(store, { max: 10, windowMs: 900_000 })
 * ```
 */
export function createAttemptLimiter(store: SessionStore, limit: RateLimit, now: () => number = Date.now): AttemptLimiter {
  return {
    async attempt(key) {
      const t = now()
      const window = Math.floor(t / limit.windowMs)
      const end = (window + 1) * limit.windowMs
      for (let slot = 0; slot < limit.max; slot++) {
        if (await store.consumeNonce(`attempt:${key}:${window}:${slot}`, end + 60_000)) return 0
      }
      return end - t
    },
  }
}
