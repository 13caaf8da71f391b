import { SharedSessionError } from '../errors/shared-session-error.js'
import { safeReturnUrl } from '../http/return-url.js'
import type { HubContext } from './options.js'

/**
 * The validated return URL of a hub request, or null when none was given.
 * A return URL that is given but not on a configured origin is refused with
 * ERR_RETURN_URL rather than silently replaced: the link is wrong or hostile.
 *
 * @example
 * ```ts
 * const back = returnTo(ctx, url.searchParams.get('return')) ?? `${ctx.basePath}/`
 * ```
 */
export function returnTo(ctx: HubContext, raw: string | null): string | null {
  if (raw === null || raw === '') return null
  const safe = safeReturnUrl(raw, ctx.returnOrigins, ctx.origin)
  if (!safe) throw new SharedSessionError('ERR_RETURN_URL', 'the return address is not one of the configured sites', { detail: 'return' })
  return safe
}
