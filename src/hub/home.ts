import { html } from '../http/respond.js'
import { touchSession } from '../sessions/touch.js'
import { csrfForForm } from './csrf.js'
import type { HubContext } from './options.js'
import { homePage } from './pages/home-page.js'
import { hubSession } from './request.js'
import type { RequestWithBody } from '../http/request-head.js'

/**
 * GET /: who is signed in at the hub, with sign-out buttons.
 *
 * @example
 * ```ts
 * if (path === '/' && request.method === 'GET') return home(ctx, request)
 * ```
 */
export async function home(ctx: HubContext, request: RequestWithBody): Promise<Response> {
  const session = await hubSession(ctx, request)
  if (session) await touchSession(ctx.store, ctx.policy, session, ctx.now())
  const { token, cookie } = csrfForForm(ctx, request)
  return html(homePage({ title: ctx.title, user: session?.user ?? null, base: ctx.basePath, csrf: token }), 200, cookie ? { 'set-cookie': [cookie] } : {})
}
