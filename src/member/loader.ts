import { sealHandoff } from '../handoff/seal.js'
import { escapeHtml } from '../lib/html.js'
import type { MemberContext } from './options.js'

/**
 * The push loader: one `<script async referrerpolicy="origin">` per other
 * site, each URL carrying a fresh sealed payload for this session. Where
 * third-party cookies are allowed, the other sites link the session before
 * the visitor ever goes there, with no redirect. Empty when the push is off
 * (an insecure origin) or there is no session to share.
 *
 * @example
 * ```ts
 * loaderTags(ctx, session.id) // '<script async referrerpolicy="origin" src="https://shop.de/_session/push/AV….js"></script>…'
 * ```
 */
export function loaderTags(ctx: MemberContext, sessionId: string | null): string {
  if (!ctx.pushEnabled || sessionId === null) return ''
  let tags = ''
  for (const name of ctx.pushTargets) {
    const origin = ctx.origins.get(name)!
    const sealed = sealHandoff(ctx.ring, { ref: sessionId, src: ctx.site, dst: name, ttlSeconds: ctx.timeout, now: ctx.now() })
    tags += `<script async referrerpolicy="origin" src="${escapeHtml(`${origin}${ctx.prefix}/push/${sealed}.js`)}"></script>`
  }
  return tags
}
