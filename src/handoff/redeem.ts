import { SharedSessionError } from '../errors/shared-session-error.js'
import type { KeyRing } from '../keys/key-ring.js'
import type { SessionStore } from '../stores/store.js'
import { checkBinding, openHandoff, type OpenHandoffOptions } from './open.js'
import type { HandoffPayload } from './payload.js'

/**
 * Open a handoff payload and consume its `jti` in the store, so it is
 * accepted exactly once however many copies arrive at once. Every check of
 * {@link openHandoff} but the state binding runs first; the binding is
 * checked after the `jti` is spent, so a pull answer that reaches the wrong
 * browser (a leaked URL from logs or history) is good for nothing afterwards.
 *
 * @example
 * ```ts
 * try {
 *   const payload = await redeemHandoff(store, ring, sealed, { dst: 'shop-de', sources })
 * } catch (err) {
 *   if (isSharedSessionError(err, 'ERR_PAYLOAD_REPLAYED')) return new Response(null, { status: 409 })
 *   throw err
 * }
 * ```
 */
/** Extra time a used jti is remembered, against clock differences between app and store. */
const NONCE_MARGIN_SECONDS = 120

export async function redeemHandoff(
  store: SessionStore,
  ring: KeyRing,
  sealed: unknown,
  options: OpenHandoffOptions,
): Promise<HandoffPayload> {
  const payload = openHandoff(ring, sealed, { ...options, deferBinding: true })
  // Remember the jti until no copy of it could pass the freshness checks anyway,
  // with a wide margin: the store measures this with its own clock (Redis PXAT),
  // which may run ahead of ours.
  const rememberUntil = (payload.exp + (options.skewSeconds ?? 5) + NONCE_MARGIN_SECONDS) * 1000
  if (!(await store.consumeNonce(`handoff:${payload.jti}`, rememberUntil))) {
    throw new SharedSessionError('ERR_PAYLOAD_REPLAYED', 'payload was already used', { detail: 'jti' })
  }
  checkBinding(payload, options.bind)
  return payload
}
