/**
 * Opt-in typings for Fastify: `request.session` (or the member `property`
 * you chose) is a `MemberSession`. Beside @fastify/session, which owns
 * `request.session`, give the member another property and declare it here.
 *
 * @example
 * ```ts
 * import 'shared-session/types/fastify'
 * declare module 'shared-session/types/fastify' {
 *   interface SharedSessionTypes { member: 'sharedSession' }
 * }
 * registerFastify(app, createMember({ …, property: 'sharedSession' }))
 * app.get('/', async (request) => request.sharedSession.user?.username ?? 'guest')
 * ```
 * @packageDocumentation
 */
import type { SharedSessionProperties } from './property.js'

export type { ConsumerProperty, ConsumerUser, MemberProperty, SharedSessionProperties, SharedSessionTypes } from './property.js'

declare module 'fastify' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyRequest extends SharedSessionProperties {}
}
