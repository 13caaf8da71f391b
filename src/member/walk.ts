import { SharedSessionError } from '../errors/shared-session-error.js'
import type { MemberContext } from './options.js'

/** More members than a browser follows redirects for (Chromium stops after 20, three hops each). */
const MAX_WALK = 16

/**
 * The `walk` query parameter of a login walk: the member sites still to
 * visit, comma-separated. Only configured member sites; anything else is a
 * 400, never a redirect to an unknown place.
 *
 * @example
 * ```ts
 * parseWalk(ctx, 'shop-de,forum') // ['shop-de', 'forum']
 * ```
 */
export function parseWalk(ctx: MemberContext, raw: string | null): string[] {
  if (raw === null || raw === '') return []
  const names = raw.split(',')
  if (names.length > MAX_WALK || !names.every((name) => ctx.memberSites.has(name))) {
    throw new SharedSessionError('ERR_RETURN_URL', 'walk must name configured member sites', { detail: 'walk' })
  }
  return names
}

/**
 * Where the browser goes after this site linked (or learnt there was
 * nothing to link): the next member's sync endpoint while a login walk has
 * members left, else the return URL. The return URL travels unchanged from
 * hop to hop, never nested inside the next hop's URL, so a return accepted
 * at the start of the walk is accepted at every member.
 *
 * @example
 * ```ts
 * nextHop(ctx, 'https://shop.com/', ['shop-de']) // 'https://shop-de.com/_session/sync?return=https%3A%2F%2Fshop.com%2F'
 * ```
 */
export function nextHop(ctx: MemberContext, back: string, walk: readonly string[]): string {
  const [next, ...rest] = walk
  if (next === undefined) return back
  const query = new URLSearchParams({ return: back })
  if (rest.length > 0) query.set('walk', rest.join(','))
  return `${ctx.origins.get(next)}${ctx.prefix}/sync?${query}`
}
