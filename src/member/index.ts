/**
 * Members: any app that joins the deployment. Middleware that gives every
 * request its shared session and serves the push, accept, sync and logout
 * endpoints, plus the push loader for pages.
 *
 * @example
 * ```ts
 * import { createMember } from 'shared-session/member'
 * import { toExpress } from 'shared-session/adapters/express'
 * const member = createMember({ site: 'shop-de', sites, hub: 'https://auth.shop.com', keys: ring, store })
 * app.use(toExpress(member))
 * app.get('/', (req, res) => res.send(`<p>${req.session.user?.username ?? 'guest'}</p>${req.session.loader()}`))
 * ```
 * @packageDocumentation
 */
export { createMember, type Member } from './create-member.js'
export { resolveMemberOptions, type MemberContext, type MemberOptions } from './options.js'
export { MemberSession } from './session-handle.js'
export { NO_COOKIES_FLAG } from './bounce.js'
export { checkMember, type SelfCheckProblem } from './self-check.js'
export { createEmitter, type Emitter, type Listener, type SessionEvents } from '../events/emitter.js'
