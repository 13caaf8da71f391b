import type { HubContext } from './options.js'

/**
 * What the hub publishes about itself at `/.well-known/shared-session.json`,
 * so a member can check at start-up that it belongs to this deployment:
 * the site list, the member prefix, and the ids of the handoff keys. A key
 * id is 4 bytes HKDF derived from the master secret and is carried in
 * clear by every payload anyway: it tells which secret is in use, not what
 * it is.
 *
 * @example
 * ```ts
 * const about = (await (await fetch('https://auth.acme.com/.well-known/shared-session.json')).json()) as HubDescription
 * about.handoff.seals // 'x8Kq2w'
 * ```
 */
export interface HubDescription {
  origin: string
  prefix: string
  sites: Array<{ name: string; origin: string; member: boolean }>
  handoff: {
    /** The id of the key the hub seals with now. */
    seals: string
    /** Every id the hub opens (the sealing one, the next and the previous ones). */
    opens: string[]
  }
  jwksUrl: string
}

/**
 * Describe the hub for {@link HubDescription}, read fresh on every call so
 * a key rotation shows at once.
 *
 * @example
 * ```ts
 * return json(describeHub(ctx), 200, { 'cache-control': 'no-store' })
 * ```
 */
export function describeHub(ctx: HubContext): HubDescription {
  const ids = ctx.ring.handoff.map((k) => k.id.toString('base64url'))
  return {
    origin: ctx.origin,
    prefix: ctx.prefix,
    sites: ctx.sites.map((s) => ({ name: s.name, origin: s.origin, member: s.member !== false })),
    handoff: { seals: ids[0]!, opens: ids },
    jwksUrl: `${ctx.origin}${ctx.basePath}/.well-known/jwks.json`,
  }
}
