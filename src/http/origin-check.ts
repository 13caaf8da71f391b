import type { RequestHead } from './request-head.js'

/**
 * Whether a state-changing request comes from one of `origins`: by its
 * `Origin`; when that is absent or `null` (sandboxed frames, some privacy
 * settings), by `Sec-Fetch-Site: same-origin`, which no page can forge. A
 * request with neither header (a non-browser client) passes here and must
 * prove itself otherwise (a CSRF token). The one rule for the hub's forms
 * and the members' logout.
 *
 * @example
 * ```ts
 * if (!originAllowed(request, new Set([ctx.origin]))) throw new SharedSessionError('ERR_CSRF', '…')
 * ```
 */
export function originAllowed(request: RequestHead, origins: ReadonlySet<string>): boolean {
  const origin = request.headers.get('origin')
  const fetchSite = request.headers.get('sec-fetch-site')
  if (origin !== null && origin !== 'null') return origins.has(origin)
  return fetchSite === 'same-origin' || (origin === null && fetchSite === null)
}
