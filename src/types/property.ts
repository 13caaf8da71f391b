import type { TokenAuth } from '../consumer/token-consumer.js'
import type { MemberSession } from '../member/session-handle.js'
import type { LoginClaims } from '../tokens/claims.js'

/**
 * Where the typings put the shared session and the token consumer's value.
 * Empty by default: the member's value is `session` (the member's default
 * `property`) and no consumer property is declared. Augment it to match the
 * `property` you gave `createMember` / `createTokenConsumer`, for instance
 * beside express-session or @fastify/session, which already own `session`.
 * Fields: `member` (the member's property; `never` for an app with no
 * member), `consumer` (the token consumer's, usually `auth`), `user` (what
 * your `findOrCreateUser` returns; the token's claims by default).
 *
 * @example
 * ```ts
 * import 'shared-session/types/express'
 * declare module 'shared-session/types/express' {
 *   interface SharedSessionTypes {
 *     member: 'sharedSession'   // createMember({ …, property: 'sharedSession' })
 *     consumer: 'auth'          // createTokenConsumer({ … }) puts its value on req.auth
 *   }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SharedSessionTypes {}

/**
 * The property the member's session is declared on: `SharedSessionTypes['member']`, else `session`.
 *
 * @example
 * ```ts
 * type Name = MemberProperty   // 'session', or what you declared in SharedSessionTypes
 * ```
 */
export type MemberProperty = SharedSessionTypes extends { member: infer P extends string } ? P : 'session'

/**
 * The property the token consumer's value is declared on: `SharedSessionTypes['consumer']`, else none.
 *
 * @example
 * ```ts
 * type Name = ConsumerProperty   // never, or what you declared in SharedSessionTypes
 * ```
 */
export type ConsumerProperty = SharedSessionTypes extends { consumer: infer P extends string } ? P : never

/**
 * The user type a token consumer's `findOrCreateUser` returns: `SharedSessionTypes['user']`, else the claims.
 *
 * @example
 * ```ts
 * declare module 'shared-session/types/express' { interface SharedSessionTypes { consumer: 'auth'; user: { id: number } } }
 * ```
 */
export type ConsumerUser = SharedSessionTypes extends { user: infer U } ? U : LoginClaims

/**
 * What the framework augmentations add to a request: the member's session and, if declared, the consumer's value.
 *
 * @example
 * ```ts
 * const view: SharedSessionProperties = req   // req.session (or your property) is a MemberSession
 * ```
 */
export type SharedSessionProperties = Record<MemberProperty, MemberSession> & Record<ConsumerProperty, TokenAuth<ConsumerUser>>
