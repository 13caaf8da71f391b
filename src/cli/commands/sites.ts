import { readConfig, writeConfig } from '../../config/config-file.js'
import { SharedSessionError } from '../../errors/shared-session-error.js'
import { HUB_SITE } from '../../hub/options.js'
import { validateSites, type SiteConfig } from '../../sites/config.js'

/**
 * `shared-session sites add|list|remove`: edit the site list of the
 * configuration file, validated as the hub validates it (unique names and
 * origins, origins only). Running hubs pick the change up on restart;
 * regenerate the members' configurations with `config member`.
 *
 * @example
 * ```ts
 * await sitesCommand('add', { config: 'shared-session.json', name: 'shop', origin: 'https://shop.com' })
 * ```
 */
export async function sitesCommand(
  action: 'add' | 'list' | 'remove',
  options: { config: string; name?: string; origin?: string; member?: boolean; kind?: string; backchannelLogoutUri?: string },
): Promise<void> {
  // The file itself, without environment overrides: it is written back.
  const config = readConfig(options.config, {})
  if (action === 'list') {
    if (config.sites.length === 0) console.log(`no sites yet: shared-session sites add <name> <origin>`)
    for (const s of config.sites) console.log(`${s.name}\t${s.origin}\t${s.member === false ? 'token only (member: false)' : 'member'}${s.kind ? `\t${s.kind}` : ''}`)
    return
  }
  const name = options.name!
  if (action === 'remove') {
    const before = config.sites.length
    config.sites = config.sites.filter((s) => s.name !== name)
    if (config.sites.length === before) throw invalid(`no site "${name}"; the sites are: ${config.sites.map((s) => s.name).join(', ') || '(none)'}`)
    writeConfig(options.config, config, { force: true })
    console.log(`removed ${name}; restart the hub and remove its member configuration`)
    return
  }
  if (config.sites.some((s) => s.name === name)) throw invalid(`a site named "${name}" already exists; remove it first (shared-session sites remove ${name}) or choose another name`)
  if (name === HUB_SITE) throw invalid(`the name "${HUB_SITE}" is reserved for the hub; choose another`)
  if (options.kind !== undefined && options.kind !== 'subdomain' && options.kind !== 'cross-site') throw invalid(`--kind must be subdomain or cross-site, not ${JSON.stringify(options.kind)}`)
  const site: SiteConfig = {
    name,
    origin: options.origin!,
    ...(options.member === false ? { member: false } : {}),
    ...(options.kind ? { kind: options.kind as SiteConfig['kind'] } : {}),
    ...(options.backchannelLogoutUri ? { backchannelLogoutUri: options.backchannelLogoutUri } : {}),
  }
  const sites = validateSites([...config.sites, site])
  config.sites = [...config.sites, sites[sites.length - 1]!]
  writeConfig(options.config, config, { force: true })
  const added = config.sites[config.sites.length - 1]!
  console.log(`added ${added.name} (${added.origin}, ${added.member === false ? 'reads the token only' : 'member'})`)
  console.log(
    added.member === false
      ? `next: restart the hub; the site verifies tokens against ${config.hub.origin}${config.hub.basePath ?? ''}/.well-known/jwks.json`
      : `next: restart the hub, then give the site its configuration: shared-session config member ${added.name} --out ${added.name}.json`,
  )
}

function invalid(message: string): SharedSessionError {
  return new SharedSessionError('ERR_CONFIG_INVALID', message, { detail: 'sites' })
}
