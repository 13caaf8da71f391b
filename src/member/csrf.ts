import { createHmac } from 'node:crypto'
import type { CsrfSetup } from '../http/csrf.js'
import type { HandoffKey } from '../keys/key-ring.js'
import type { MemberContext } from './options.js'

const derived = new WeakMap<HandoffKey, Buffer>()

/**
 * The CSRF setup of a member: its double-submit cookie and keys derived
 * from the deployment's handoff keys (which every member holds, even with
 * a member-only configuration), the sealing key signing and every key of
 * the rotation overlap verifying.
 *
 * @example
 * ```ts
 * checkCsrf(memberCsrf(ctx), request, token, { origins: new Set([ctx.origin]), requireToken: true })
 * ```
 */
export function memberCsrf(ctx: MemberContext): CsrfSetup {
  return { keys: ctx.ring.handoff.map(csrfKeyOf), cookie: ctx.csrf, label: ctx.site }
}

function csrfKeyOf(handoff: HandoffKey): Buffer {
  let key = derived.get(handoff)
  if (!key) {
    // A one-way step from the handoff key: a CSRF token reveals nothing about the sealing key.
    key = createHmac('sha256', handoff.key).update('shared-session member csrf v1').digest()
    derived.set(handoff, key)
  }
  return key
}
