import { SharedSessionError } from '../errors/shared-session-error.js'

/**
 * The members' endpoint prefix from options (default `/_session`), checked
 * once. Hub and members must agree on it.
 *
 * @example
 * ```ts
 * parsePrefix(undefined) // '/_session'
 * ```
 */
export function parsePrefix(value: unknown): string {
  const prefix = (value === undefined ? '/_session' : String(value)).replace(/\/+$/, '')
  if (!/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(prefix)) {
    throw new SharedSessionError('ERR_CONFIG_INVALID', `prefix must look like "/_session", got ${JSON.stringify(value)}`, { detail: 'prefix' })
  }
  return prefix
}

/**
 * The handoff timeout in seconds from options (default 30, as in
 * django-shared-session), checked once.
 *
 * @example
 * ```ts
 * parseTimeout(undefined) // 30
 * ```
 */
export function parseTimeout(value: unknown): number {
  const timeout = value === undefined ? 30 : value
  if (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout < 5 || timeout > 600) {
    throw new SharedSessionError('ERR_CONFIG_INVALID', `timeout must be a whole number of seconds from 5 to 600, got ${JSON.stringify(value)}`, { detail: 'timeout' })
  }
  return timeout
}
