import { isMemberKeysConfig } from '../keys/config.js'
import { memberKeys, type MemberConfig } from './member-config.js'
import type { DeploymentConfig } from './config-file.js'
import type { Finding } from './doctor.js'

/**
 * Compare a member's configuration file with the hub's
 * (`shared-session doctor --member shop.json`) and report every
 * difference at once: the member's own name, the hub origin and prefix,
 * the site list (a typo on either side) and the handoff keys (compared by
 * key id, so another master secret shows without printing any key).
 *
 * @example
 * ```ts
 * const findings = compareMemberConfig(readConfig('shared-session.json'), readMemberConfig('shop.json'), 'shop.json')
 * ```
 */
export function compareMemberConfig(hub: DeploymentConfig, member: MemberConfig, file: string): Finding[] {
  const findings: Finding[] = []
  const regenerate = `regenerate it on the hub: shared-session config member ${member.site} --out ${file}`
  const add = (setting: string, problem: string, fix = regenerate) => findings.push({ level: 'error', setting: `${file}: ${setting}`, problem, fix })

  const hubSites = new Map((hub.sites ?? []).map((s) => [s.name, s]))
  if (!hubSites.has(member.site)) add('site', `the member calls itself "${member.site}", a name the hub's sites do not have (${[...hubSites.keys()].join(', ') || 'none'}): the hub refuses to send sessions there`, `use one of the hub's names, or add it at the hub: shared-session sites add ${member.site} <origin>`)
  else if (hubSites.get(member.site)!.member === false) add('site', `"${member.site}" is marked member: false at the hub, so the login walk and the push skip it`, `remove "member": false at the hub, or do not run the member middleware there`)
  if (member.hub?.origin !== hub.hub.origin) add('hub.origin', `the member sends visitors to ${member.hub?.origin}, the hub is ${hub.hub.origin}`)
  if ((member.hub?.prefix ?? '/_session') !== (hub.hub.prefix ?? '/_session')) add('hub.prefix', `the member serves ${member.hub?.prefix ?? '/_session'}, the hub sends visitors to ${hub.hub.prefix ?? '/_session'}`)

  const theirs = new Map((member.sites ?? []).map((s) => [s.name, s]))
  const differences: string[] = []
  for (const [name, site] of hubSites) {
    const there = theirs.get(name)
    if (!there) differences.push(`"${name}" only at the hub`)
    else if (there.origin !== site.origin) differences.push(`"${name}" is ${site.origin} at the hub, ${there.origin} in ${file}`)
    else if ((there.member !== false) !== (site.member !== false)) differences.push(`"${name}" is ${site.member === false ? 'token-only' : 'a member'} at the hub, not in ${file}`)
  }
  for (const name of theirs.keys()) if (!hubSites.has(name)) differences.push(`"${name}" only in ${file}`)
  if (differences.length > 0) add('sites', `the site names differ: ${differences.join('; ')}`)

  if (!member.keys || !isMemberKeysConfig(member.keys)) {
    add('keys', 'holds no member keys ("handoff" and "jwks")')
  } else {
    try {
      const expected = memberKeys(hub).handoff.map((k) => k.id)
      const held = member.keys.handoff.map((k) => k.id)
      if (!expected.some((id) => held.includes(id))) add('keys.handoff', `handoff key ids ${held.join(', ')} are none of the hub's (${expected.join(', ')}): another master secret, so every payload fails with ERR_PAYLOAD_KEY_UNKNOWN`)
      else if (expected.join() !== held.join()) add('keys.handoff', `handoff key ids ${held.join(', ')} differ from the hub's ${expected.join(', ')}: the keys were rotated since this file was made`, `${regenerate} (within the rotation's overlap)`)
      const kids = new Set(member.keys.jwks?.keys?.map((k) => k.kid))
      const missing = hub.keys.signingKeys.filter((k) => !kids.has(k.kid)).map((k) => k.kid)
      if (missing.length > 0) add('keys.jwks', `the hub's signing keys ${missing.join(', ')} are missing: tokens they sign fail with ERR_TOKEN_KEY_UNKNOWN here`)
    } catch {
      // diagnose() reports broken hub keys.
    }
  }
  return findings
}
