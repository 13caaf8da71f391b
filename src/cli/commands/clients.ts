import { SharedSessionError } from '../../errors/shared-session-error.js'
import type { DeploymentConfig } from '../../config/config-file.js'
import { generateClientSecret, hashClientSecret, openSqliteClients, type OidcClient } from '../../oidc/clients.js'
import { loadConfig } from '../context.js'
import type { OidcOptions } from '../../oidc/options.js'
import { createSqliteOidcStorage } from '../../oidc/storage-sqlite.js'
import { dirname, join } from 'node:path'

/**
 * The SQLite file the hub's OpenID Connect clients live in: the user
 * directory's (`users: sqlite:<path>`), in a table of their own.
 *
 * @example
 * ```ts
 * const registry = openSqliteClients({ path: clientsPath(config) })
 * ```
 */
export function clientsPath(config: DeploymentConfig): string {
  if (!config.users.startsWith('sqlite:')) throw new SharedSessionError('ERR_CONFIG_INVALID', `users must be sqlite:<path>, got ${JSON.stringify(config.users)}`, { detail: 'users' })
  return config.users.slice('sqlite:'.length)
}

/** Options of {@link clientsCommand}. */
export interface ClientsOptions {
  config: string
  redirectUri?: string[]
  postLogoutRedirectUri?: string[]
  backchannelLogoutUri?: string
  public?: boolean
}

/**
 * `shared-session clients add|list|remove`: register the apps that sign in
 * with the hub over OpenID Connect. `add` prints a confidential client's
 * secret once; the hub keeps only its SHA-256 hash.
 *
 * @example
 * ```ts
 * await clientsCommand('add', 'grafana', { config: 'shared-session.json', redirectUri: ['https://grafana.acme.com/login/generic_oauth'] })
 * ```
 */
export async function clientsCommand(action: 'add' | 'list' | 'remove', clientId: string | undefined, options: ClientsOptions): Promise<void> {
  const config = loadConfig(options.config)
  const registry = openSqliteClients({ path: clientsPath(config) })
  try {
    if (action === 'list') {
      const all = await registry.list()
      if (all.length === 0) console.log('no clients yet: shared-session clients add <id> --redirect-uri <url>')
      for (const c of all) console.log([c.clientId, c.public ? 'public' : 'confidential', c.redirectUris.join(' '), c.backchannelLogoutUri ?? '-'].join('\t'))
      return
    }
    if (!clientId) throw new SharedSessionError('ERR_CONFIG_INVALID', `clients ${action} needs a client id`)
    if (action === 'remove') {
      if (!registry.remove(clientId)) throw new SharedSessionError('ERR_CONFIG_INVALID', `no client "${clientId}"`)
      console.log(`removed ${clientId} (its tokens stop working at their next use)`)
      return
    }
    const secret = options.public ? null : generateClientSecret()
    const input: OidcClient = {
      clientId,
      redirectUris: options.redirectUri ?? [],
      ...(options.postLogoutRedirectUri?.length ? { postLogoutRedirectUris: options.postLogoutRedirectUri } : {}),
      ...(options.backchannelLogoutUri ? { backchannelLogoutUri: options.backchannelLogoutUri } : {}),
      ...(secret ? { secretHash: hashClientSecret(secret) } : { public: true }),
    }
    const client = registry.add(input)
    const issuer = `${config.hub.origin}${config.hub.basePath ?? ''}`
    console.log(`added ${client.public ? 'public' : 'confidential'} client ${client.clientId}`)
    console.log(`issuer:        ${issuer}`)
    console.log(`discovery:     ${issuer}/.well-known/openid-configuration`)
    console.log(`client_id:     ${client.clientId}`)
    if (secret) console.log(`client_secret: ${secret}\n(shown once: the hub keeps only its hash; remove and add the client again to get a new one)`)
    else console.log('no secret: a public client signs in with PKCE only')
  } finally {
    registry.close()
  }
}

/**
 * The hub's `oidc` option for `shared-session serve`: clients from the
 * table the CLI writes (read on every lookup, so `clients add` needs no
 * restart), grants and tokens in `oidc.sqlite` beside the user directory.
 * Off (empty) when a signing key is HS256: apps could not verify ID tokens.
 * Keys rotated while it runs take effect for ID tokens at the next restart.
 *
 * @example
 * ```ts
 * createHub({ ...config.hub, keys, store, users, ...oidcFromConfig(config) })
 * ```
 */
export function oidcFromConfig(config: DeploymentConfig): { oidc?: OidcOptions } {
  const signingKeys = config.keys.signingKeys
  if (!signingKeys?.length || signingKeys.some((k) => k.alg === 'HS256')) return {}
  const path = clientsPath(config)
  // All of them: the hub picks the one its key ring signs with (not the first during a rotation's overlap).
  return { oidc: { signingKey: signingKeys, clients: openSqliteClients({ path }), storage: createSqliteOidcStorage({ path: path === ':memory:' ? ':memory:' : join(dirname(path), 'oidc.sqlite') }) } }
}
