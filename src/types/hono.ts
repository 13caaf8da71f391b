/**
 * Opt-in typings for Hono: `c.get('session')` (or the member `property` you
 * chose) is a `MemberSession` in every handler, through Hono's
 * `ContextVariableMap`, with no `Variables` generic to repeat.
 *
 * @example
 * ```ts
 * import 'shared-session/types/hono'
 * const app = new Hono()
 * app.use(toHono(member))
 * app.get('/', (c) => c.html(`${c.get('session').user?.username ?? 'guest'}${c.get('session').loader()}`))
 * ```
 * @packageDocumentation
 */
import type { SharedSessionProperties } from './property.js'

export type { ConsumerProperty, ConsumerUser, MemberProperty, SharedSessionProperties, SharedSessionTypes } from './property.js'

declare module 'hono' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ContextVariableMap extends SharedSessionProperties {}
}
