import { SharedSessionError } from '../errors/shared-session-error.js'
import { withoutReserved } from '../sessions/reserved.js'

/**
 * How a site carries its anonymous data into a session it adopts: given
 * both sides' data, return the changes to write into the adopted session
 * (`undefined` removes a key). Called only when an anonymous session is
 * replaced; a signed-in user's data never moves to another session.
 *
 * @example
 * ```ts
 * const unionCarts: MergeData = (anonymous, adopted) => ({
 *   cart: [...new Set([...((adopted.cart as string[]) ?? []), ...((anonymous.cart as string[]) ?? [])])],
 * })
 * ```
 */
export type MergeData = (anonymous: Readonly<Record<string, unknown>>, adopted: Readonly<Record<string, unknown>>) => Record<string, unknown>

/**
 * The default merge: every key the adopted session lacks is copied from the
 * anonymous one; where both have a key, the adopted session's value wins
 * (it is the one the visitor's other sites already show).
 *
 * @example
 * ```ts
 * fillMissing({ cart: ['tea'], lang: 'de' }, { cart: ['cup'] }) // { lang: 'de' }
 * ```
 */
export const fillMissing: MergeData = (anonymous, adopted) => {
  const changes: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(anonymous)) if (!Object.hasOwn(adopted, key)) Object.defineProperty(changes, key, { value, enumerable: true })
  return changes
}

/**
 * The `merge` option as a function: `'fill'` (the default, {@link
 * fillMissing}), `'none'` (drop the anonymous data, as before 0.2), or your own.
 * Neither side ever holds shared-session's reserved keys, and any a merge
 * returns are dropped: the session map is never copied between sessions.
 *
 * @example
 * ```ts
 * const merge = resolveMerge(options.merge)
 * ```
 */
export function resolveMerge(option: 'fill' | 'none' | MergeData | undefined): MergeData {
  if (option === undefined || option === 'fill') return fillMissing
  if (option === 'none') return () => ({})
  if (typeof option === 'function') return (anonymous, adopted) => withoutReserved(option(anonymous, adopted))
  throw new SharedSessionError('ERR_CONFIG_INVALID', 'merge must be "fill", "none" or a function (anonymous, adopted) => changes', { detail: 'merge' })
}
