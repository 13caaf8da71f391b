import type { HubDescription } from '../hub/describe.js'
import { getJson } from '../http/get-json.js'
import type { Member } from './create-member.js'
import type { MemberContext } from './options.js'

/**
 * One problem the start-up check found: a stable `code` for programs and a
 * `line` for people, which names the fix.
 *
 * @example
 * ```ts
 * const problem: SelfCheckProblem = { code: 'hub-unreachable', line: 'shared-session: member "shop": the hub … does not answer …' }
 * ```
 */
export interface SelfCheckProblem {
  code: 'hub-unreachable' | 'not-a-hub' | 'secret-mismatch' | 'sites-differ' | 'prefix-differs'
  line: string
}

/**
 * Check at start-up that this member belongs to its hub, and log one line
 * per problem, each naming the fix: the hub answers (at
 * `/.well-known/shared-session.json`), this member shares the hub's
 * handoff secret (the hub seals with a key this member knows and the
 * reverse, compared by key id), and both have the same site list and
 * member prefix. Returns the problems (empty when all is well); never
 * throws, so a hub that is down does not stop the app. `*.localhost` hub
 * names are reached on 127.0.0.1, as browsers do.
 *
 * Every member runs it once by itself shortly after {@link createMember}
 * (option `selfCheck`); call it yourself for the problems as a value. A call
 * made before the automatic one ran replaces it, so nothing is logged twice.
 *
 * @example
 * ```ts
 * const member = createMember({ ...memberOptions(config, { keys, store }), selfCheck: false })
 * app.listen(3000, async () => {
 *   if ((await checkMember(member)).length > 0) process.exitCode = 1
 * })
 * ```
 */
export async function checkMember(member: Member, options: { timeoutMs?: number; log?: (line: string) => void; unref?: boolean } = {}): Promise<SelfCheckProblem[]> {
  const ctx = member.context
  cancelScheduled(ctx)
  const log = options.log ?? ctx.log
  const url = `${ctx.hubBase}/.well-known/shared-session.json`
  const who = `shared-session: member "${ctx.site}"`
  const problems: SelfCheckProblem[] = []
  const found = (code: SelfCheckProblem['code'], line: string) => {
    problems.push({ code, line: `${who}: ${line}` })
    log(`${who}: ${line}`)
  }

  let about: HubDescription
  try {
    const response = await getJson(url, options.timeoutMs ?? 3000, {}, { unref: options.unref ?? false })
    if (response.status !== 200 || !isDescription(response.body)) {
      found('not-a-hub', `${url} answered HTTP ${response.status} without the hub's description: ${ctx.hubOrigin} is not a shared-session hub (or an older one); fix "hub" (hub.origin, hubBasePath) in this member's configuration`)
      return problems
    }
    about = response.body
  } catch (err) {
    found('hub-unreachable', `the hub ${ctx.hubOrigin} does not answer (${(err as Error).message}); fix "hub" (hub.origin) in this member's configuration, or start the hub — visitors are sent there to sign in`)
    return problems
  }

  const mine = ctx.ring.handoff.map((k) => k.id.toString('base64url'))
  if (!mine.includes(about.handoff.seals) || !about.handoff.opens.includes(mine[0]!)) {
    found(
      'secret-mismatch',
      `this member does not share the hub's handoff secret (the hub seals with key ${about.handoff.seals}, this member knows ${mine.join(', ')}), so every visitor would see ERR_PAYLOAD_KEY_UNKNOWN; on the hub run \`shared-session config member ${ctx.site} --out ${ctx.site}.json\` and give this member that file`,
    )
  }

  const hubSites = new Map(about.sites.map((s) => [s.name, s]))
  const memberSites = new Map([...ctx.origins].filter(([name]) => name !== 'hub').map(([name, origin]) => [name, origin]))
  const differences: string[] = []
  for (const [name, site] of hubSites) {
    const here = memberSites.get(name)
    if (here === undefined) differences.push(`"${name}" (${site.origin}) only at the hub`)
    else if (here !== site.origin) differences.push(`"${name}" is ${site.origin} at the hub but ${here} here`)
  }
  for (const [name, origin] of memberSites) if (!hubSites.has(name)) differences.push(`"${name}" (${origin}) only here`)
  if (differences.length > 0) {
    const self = hubSites.has(ctx.site) ? '' : ` — the hub does not know this site "${ctx.site}" at all, so it refuses to send sessions here`
    found('sites-differ', `the site lists differ: ${differences.join('; ')}${self}; use the hub's list (\`shared-session config member ${ctx.site}\` gives it)`)
  }
  if (about.prefix !== ctx.prefix) {
    found('prefix-differs', `the hub sends visitors to ${about.prefix}/accept but this member serves ${ctx.prefix}; set the same prefix on both`)
  }
  return problems
}

const scheduled = new WeakMap<MemberContext, NodeJS.Timeout>()

/**
 * Run {@link checkMember} once in the background, as the member's
 * `selfCheck` option says (by default 1 s after creation, so an app or a hub
 * started in the same process is listening by then). The timer and the
 * request keep no process alive, nothing awaits it, and a log function that
 * throws is ignored: it can neither delay nor fail a request. `createMember`
 * calls it.
 *
 * @example
 * ```ts
 * scheduleSelfCheck(member) // later, when something is wrong: "shared-session: member "shop": the hub … does not answer …"
 * ```
 */
export function scheduleSelfCheck(member: Member): void {
  const ctx = member.context
  const options = ctx.selfCheck
  if (!options) return
  const timer = setTimeout(() => {
    scheduled.delete(ctx)
    checkMember(member, { timeoutMs: options.timeoutMs, unref: true }).catch(() => undefined)
  }, options.delayMs)
  timer.unref()
  scheduled.set(ctx, timer)
}

function cancelScheduled(ctx: MemberContext): void {
  const timer = scheduled.get(ctx)
  if (timer === undefined) return
  clearTimeout(timer)
  scheduled.delete(ctx)
}

function isDescription(body: unknown): body is HubDescription {
  const b = body as HubDescription
  return !!b && typeof b === 'object' && Array.isArray(b.sites) && !!b.handoff && typeof b.handoff.seals === 'string' && Array.isArray(b.handoff.opens) && typeof b.prefix === 'string'
}
