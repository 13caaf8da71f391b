/**
 * Opt-in typings for Express: `req.session` (or the member `property` you
 * chose) is a `MemberSession`, also on `res.locals`. Import once, anywhere
 * in the app. Beside express-session, which owns `req.session`, give the
 * member another property and declare it here.
 *
 * @example
 * ```ts
 * import 'shared-session/types/express'
 * declare module 'shared-session/types/express' {
 *   interface SharedSessionTypes { member: 'sharedSession' }
 * }
 * app.use(toExpress(createMember({ …, property: 'sharedSession' })))
 * app.get('/', (req, res) => res.send(req.sharedSession.user?.username ?? 'guest'))
 * ```
 * @packageDocumentation
 */
import type { SharedSessionProperties } from './property.js'

export type { ConsumerProperty, ConsumerUser, MemberProperty, SharedSessionProperties, SharedSessionTypes } from './property.js'

declare global {
  // Express declares its request and locals types in this global namespace.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Request extends SharedSessionProperties {}
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Locals extends SharedSessionProperties {}
  }
}
