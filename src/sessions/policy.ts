import { SharedSessionError } from '../errors/shared-session-error.js'

/**
 * How long sessions live. Idle expiry moves with activity; absolute expiry
 * never does, so a stolen cookie cannot be kept alive forever.
 *
 * @example
 * ```ts
 * const policy = sessionPolicy({ idleTimeoutMs: 2 * 3_600_000 })
 * ```
 */
export interface SessionPolicy {
  /** A session unused this long expires. Default one day. */
  idleTimeoutMs: number
  /** A session expires this long after it was created, used or not. Default 14 days. */
  absoluteTimeoutMs: number
  /** Activity is written at most this often per session. Default one minute. */
  touchIntervalMs: number
}

const DEFAULTS: SessionPolicy = { idleTimeoutMs: 86_400_000, absoluteTimeoutMs: 14 * 86_400_000, touchIntervalMs: 60_000 }

/**
 * A complete, validated {@link SessionPolicy} from partial options.
 *
 * @example
 * ```ts
 * sessionPolicy({}) // { idleTimeoutMs: 86400000, absoluteTimeoutMs: 1209600000, touchIntervalMs: 60000 }
 * ```
 */
export function sessionPolicy(options: Partial<SessionPolicy> = {}): SessionPolicy {
  const policy = { ...DEFAULTS, ...options }
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new SharedSessionError('ERR_CONFIG_INVALID', `session ${name} must be a positive whole number of milliseconds, got ${value}`, { detail: name })
    }
  }
  if (policy.idleTimeoutMs > policy.absoluteTimeoutMs) {
    throw new SharedSessionError('ERR_CONFIG_INVALID', 'session idleTimeoutMs must not exceed absoluteTimeoutMs', { detail: 'idleTimeoutMs' })
  }
  return policy
}
