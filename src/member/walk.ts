import { isSharedSessionError, SharedSessionError } from '../errors/shared-session-error.js'
import { redirect } from '../http/respond.js'
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
 * nothing to link, or failed to): the next member's sync endpoint while a
 * login walk has members left, else the return URL. The return URL travels
 * unchanged from hop to hop, never nested inside the next hop's URL, so a
 * return accepted at the start of the walk is accepted at every member.
 * Every hop carries `walk`, empty on the last, so each member knows it is
 * on a walk and goes on past its own failure (see {@link skipHop}).
 *
 * @example
 * ```ts
 * nextHop(ctx, 'https://shop.com/', ['shop-de']) // 'https://shop-de.com/_session/sync?return=https%3A%2F%2Fshop.com%2F&walk='
 * ```
 */
export function nextHop(ctx: MemberContext, back: string, walk: readonly string[]): string {
  const [next, ...rest] = walk
  if (next === undefined) return back
  const query = new URLSearchParams({ return: back, walk: rest.join(',') })
  return `${ctx.origins.get(next)}${ctx.prefix}/sync?${query}`
}

/**
 * A login walk must not end at a member that fails: the member logs one
 * line (the error code, and the fix for the mistakes an operator makes) and
 * sends the browser on to the next hop, as if it had linked nothing. This
 * site links at the visitor's next bounce instead. Only for a request that
 * is on a walk (it has `walk`) whose return URL and walk were accepted: an
 * attacker gains nothing a sync link would not give (the answer is spent
 * or unreadable), and this hop links nothing.
 *
 * @example
 * ```ts
 * try { return await link() } catch (err) { return skipHop(ctx, err, back, walk) }
 * ```
 */
export function skipHop(ctx: MemberContext, err: unknown, back: string, walk: readonly string[]): Response {
  const code = isSharedSessionError(err) ? err.code : 'an unexpected error'
  const fix = fixFor(code, ctx.site)
  // Only what an operator must fix (other keys, clocks, site lists) or a fault of ours (the store, a bug) is
  // logged: a visitor's reused or broken link is not, as no 4xx is. And anyone can send broken answers here:
  // one line per kind of failure a minute, not one per request.
  const operators = fix !== '' || !isSharedSessionError(err) || err.status >= 500
  const now = ctx.now()
  const logged = lastLogged(ctx)
  if (operators && (logged.get(code) ?? -Infinity) + LOG_EVERY_MS <= now) {
    logged.set(code, now)
    const message = err instanceof Error ? err.message : String(err)
    ctx.log(`shared-session: member "${ctx.site}": the login walk went on without linking this site (${code}: ${message})${fix}; the same failure again within a minute is not logged`)
  }
  return redirect(nextHop(ctx, back, walk), {}, 303)
}

const LOG_EVERY_MS = 60_000
const logTimes = new WeakMap<MemberContext, Map<string, number>>()

/** When each kind of walk failure was last logged, per member. */
function lastLogged(ctx: MemberContext): Map<string, number> {
  let times = logTimes.get(ctx)
  if (!times) logTimes.set(ctx, (times = new Map()))
  return times
}

/** The fix for the failures an operator causes; none for a visitor's own (a reused or stale link). */
function fixFor(code: string, site: string): string {
  const config = `\`shared-session config member ${site} --out ${site}.json\` on the hub, and give this member that file`
  switch (code) {
    case 'ERR_PAYLOAD_KEY_UNKNOWN':
    case 'ERR_PAYLOAD_INVALID':
      return `; this member does not share the hub's handoff secret: run ${config}`
    case 'ERR_PAYLOAD_EXPIRED':
      return '; the hop took longer than the handoff timeout: check the clocks of the hub and this member, or raise hub.timeout'
    case 'ERR_PAYLOAD_FROM_FUTURE':
      return '; the clocks of the hub and this member differ: synchronise them (NTP)'
    case 'ERR_PAYLOAD_UNKNOWN_SOURCE':
    case 'ERR_PAYLOAD_WRONG_DESTINATION':
      return `; the site lists differ: run ${config}`
    default:
      return ''
  }
}
