import { checkCsrf as check, csrfToken, type CsrfSetup } from '../http/csrf.js'
import type { RequestWithBody } from '../http/request-head.js'
import { HUB_SITE, type HubContext } from './options.js'

/**
 * The CSRF token for the hub's forms, and the `Set-Cookie` to send when the
 * browser has no CSRF cookie yet (see `csrfToken` in `http/csrf.ts`).
 *
 * @example
 * ```ts
 * const { token, cookie } = csrfForForm(ctx, request)
 * ```
 */
export function csrfForForm(ctx: HubContext, request: RequestWithBody): { token: string; cookie?: string } {
  return csrfToken(setup(ctx), request)
}

/**
 * Refuse a state-changing POST to the hub that did not come from an allowed
 * origin or lacks a valid CSRF token. With `requireToken`, both must hold
 * (login); otherwise an allowed `Origin` alone is enough (logout posted by a
 * member page, which cannot know the hub's token).
 *
 * @example
 * ```ts
 * checkCsrf(ctx, request, form.get('csrf'), { origins: new Set([ctx.origin]), requireToken: true })
 * ```
 */
export function checkCsrf(ctx: HubContext, request: RequestWithBody, formToken: unknown, rule: { origins: ReadonlySet<string>; requireToken: boolean }): void {
  check(setup(ctx), request, formToken, rule)
}

function setup(ctx: HubContext): CsrfSetup {
  return { keys: [ctx.ring.csrf], cookie: ctx.csrfCookie, label: HUB_SITE }
}
