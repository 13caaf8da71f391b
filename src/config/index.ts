/**
 * The deployment configuration file: read the hub's (with the environment
 * overrides), cut a member's share out of it (no master secret, no private
 * signing key), read that share in the member app, open the store it
 * names, and check it like `shared-session doctor` does.
 *
 * @example
 * ```ts
 * import { readConfig, openStore } from 'shared-session/config'
 * const config = readConfig('shared-session.json', process.env)
 * const store = await openStore(config.store)
 *
 * // In a member app, from the file `shared-session config member shop --out shop.json` wrote:
 * const shop = readMemberConfig('shop.json', process.env)
 * const member = createMember(memberOptions(shop, { keys: await loadKeyRing(shop.keys), store: await openStore(shop.store) }))
 * ```
 * @packageDocumentation
 */
export { ENV, newConfig, readConfig, writeConfig, writeFileAtomic, type DeploymentConfig } from './config-file.js'
export { memberConfig, memberKeys, memberOptions, readMemberConfig, type MemberConfig } from './member-config.js'
export { openStore } from './open-store.js'
export { diagnose, type Finding } from './doctor.js'
export { probeSites } from './probe.js'
export { compareMemberConfig } from './compare-member.js'
