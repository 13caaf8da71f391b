import type { SessionStore } from '../stores/store.js'
import { RESERVED_PREFIX } from './reserved.js'

/** The reserved data key of the device a session was signed in on. */
export const DEVICE_KEY = `${RESERVED_PREFIX}device`

/**
 * The device a session was signed in on, as the hub saw it at sign-in: the
 * raw `User-Agent` (described for people by `describeUserAgent`) and the
 * client address. Shown to the user on "Your sessions"; never a security decision.
 *
 * @example
 * ```ts
 * const device: SessionDevice = { userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', address: '203.0.113.7' }
 * ```
 */
export interface SessionDevice {
  userAgent: string
  address: string
}

/**
 * Remember the device of a session (in its reserved data, which apps never
 * see). Long headers are cut; a session that is gone is left alone. Returns
 * whether it wrote.
 *
 * @example
 * ```ts
 * await recordDevice(store, session.id, { userAgent: request.headers.get('user-agent') ?? '', address })
 * ```
 */
export function recordDevice(store: SessionStore, sessionId: string, device: SessionDevice): Promise<boolean> {
  const value: SessionDevice = { userAgent: String(device.userAgent).slice(0, 512), address: String(device.address).slice(0, 64) }
  return store.patchSession(sessionId, { set: { [DEVICE_KEY]: JSON.stringify(value) }, unset: [] })
}

/**
 * The device recorded for a session's stored data, or null.
 *
 * @example
 * ```ts
 * readDevice(record.data)?.address // '203.0.113.7'
 * ```
 */
export function readDevice(data: Readonly<Record<string, string>>): SessionDevice | null {
  const json = Object.hasOwn(data, DEVICE_KEY) ? data[DEVICE_KEY] : undefined
  if (json === undefined) return null
  try {
    const value = JSON.parse(json) as Partial<SessionDevice>
    return typeof value.userAgent === 'string' && typeof value.address === 'string' ? { userAgent: value.userAgent, address: value.address } : null
  } catch {
    return null
  }
}
