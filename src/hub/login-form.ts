import { html } from '../http/respond.js'
import { csrfForForm } from './csrf.js'
import type { HubContext } from './options.js'
import { loginPage } from './pages/login-page.js'
import { returnTo } from './return-to.js'
import type { RequestWithBody } from '../http/request-head.js'

/**
 * GET /login: the sign-in form, with a CSRF token and the validated return URL.
 *
 * @example
 * ```ts
 * if (path === '/login' && request.method === 'GET') return showLoginForm(ctx, request)
 * ```
 */
export function showLoginForm(ctx: HubContext, request: RequestWithBody): Response {
  const back = returnTo(ctx, new URL(request.url).searchParams.get('return'))
  return renderLoginForm(ctx, request, { returnTo: back, error: null, username: '', status: 200 })
}

/**
 * The login form with a message, for the form itself and for failed attempts.
 *
 * @example
 * ```ts
 * return renderLoginForm(ctx, request, { returnTo, error: 'Wrong username or password.', username, status: 401 })
 * ```
 */
export function renderLoginForm(
  ctx: HubContext,
  request: RequestWithBody,
  p: { returnTo: string | null; error: string | null; username: string; status: number; headers?: Record<string, string> },
): Response {
  const { token, cookie } = csrfForForm(ctx, request)
  const body = loginPage({ title: ctx.title, action: `${ctx.basePath}/login`, csrf: token, returnTo: p.returnTo, error: p.error, username: p.username })
  return html(body, p.status, { ...(p.headers ?? {}), ...(cookie ? { 'set-cookie': [cookie] } : {}) })
}
