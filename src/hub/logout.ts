import { redirect } from '../http/respond.js'
import { checkCsrf } from './csrf.js'
import { endHubSession, signedOutCookies } from './end-session.js'
import type { HubContext } from './options.js'
import { hubSession, readForm } from './request.js'
import { returnTo } from './return-to.js'
import type { RequestWithBody } from '../http/request-head.js'

/**
 * POST /logout and POST /logout/everywhere: destroy the global session (so
 * every site sees it gone on its next request) or, everywhere, every session
 * of the user; clear the hub and parent-domain cookies; go back to the return
 * URL or the login page. Member pages may post here (their origin is allowed).
 *
 * @example
 * ```ts
 * if (path === '/logout' && request.method === 'POST') return logout(ctx, request, { everywhere: false })
 * ```
 */
export async function logout(ctx: HubContext, request: RequestWithBody, options: { everywhere: boolean }): Promise<Response> {
  const form = await readForm(request)
  checkCsrf(ctx, request, form.get('csrf'), { origins: ctx.returnOrigins, requireToken: false })
  const back = returnTo(ctx, form.get('return'))
  const session = await hubSession(ctx, request)
  if (session) await endHubSession(ctx, session, options)
  return redirect(back ?? `${ctx.basePath}/login`, { 'set-cookie': signedOutCookies(ctx) })
}
