import Database from 'better-sqlite3'
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { SharedSessionError } from '../errors/shared-session-error.js'

/**
 * An app registered with the hub's OpenID Connect provider. A confidential
 * client holds a secret, of which the hub keeps only the SHA-256 hash; a
 * public client (a single-page or native app) holds none and relies on PKCE.
 *
 * @example
 * ```ts
 * const client: OidcClient = {
 *   clientId: 'grafana', redirectUris: ['https://grafana.acme.com/login/generic_oauth'],
 *   backchannelLogoutUri: 'https://grafana.acme.com/logout/backchannel', secretHash: hashClientSecret(secret),
 * }
 * ```
 */
export interface OidcClient {
  clientId: string
  /** Exact redirect URIs: no patterns, no prefixes. */
  redirectUris: string[]
  /** Where the app may send the browser after sign-out. Default: the origin of each redirect URI, as `https://app/`. */
  postLogoutRedirectUris?: string[]
  /** Where the hub posts OpenID Connect Back-Channel Logout tokens. */
  backchannelLogoutUri?: string
  /** A public client: no secret, PKCE only. */
  public?: boolean
  /** `sha256:<hex>` of the secret (confidential clients). */
  secretHash?: string
  /** How a confidential client authenticates at the token endpoint. Default `client_secret_basic`. */
  authMethod?: 'client_secret_basic' | 'client_secret_post'
}

/**
 * Where registered clients live: a fixed list from options, or the SQLite
 * table the CLI writes.
 *
 * @example
 * ```ts
 * const registry = staticClients([{ clientId: 'app', redirectUris: ['https://app.acme.com/cb'], public: true }])
 * await registry.find('app')
 * ```
 */
export interface ClientRegistry {
  find(clientId: string): Promise<OidcClient | null>
  list(): Promise<OidcClient[]>
}

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/**
 * A new client secret: 256 random bits, base64url. Shown once, stored hashed.
 *
 * @example
 * ```ts
 * const secret = generateClientSecret()
 * const client = { clientId: 'app', redirectUris, secretHash: hashClientSecret(secret) }
 * ```
 */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * The stored form of a client secret. A plain SHA-256 is enough: the secrets
 * are 256 random bits, so there is nothing to guess from the hash; a slow
 * hash would only make the token endpoint an easy CPU sink.
 *
 * @example
 * ```ts
 * hashClientSecret('s3cr3t…') // 'sha256:9f86d0…'
 * ```
 */
export function hashClientSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`
}

/**
 * Compare a presented secret with a stored hash in constant time (the
 * comparison is over fixed-length digests, whatever was presented).
 *
 * @example
 * ```ts
 * if (!verifyClientSecret(client.secretHash, presented)) throw invalidClient()
 * ```
 */
export function verifyClientSecret(secretHash: string | undefined, presented: unknown): boolean {
  const stored = /^sha256:([0-9a-f]{64})$/.exec(secretHash ?? '')
  const expected = Buffer.from(stored?.[1] ?? '0'.repeat(64), 'hex')
  const actual = createHash('sha256').update(typeof presented === 'string' ? presented : '', 'utf8').digest()
  const same = timingSafeEqual(expected, actual)
  return same && stored !== null && typeof presented === 'string'
}

/**
 * Validate a client, with messages that say what to change. Redirect URIs
 * must be absolute, without fragment, and https (or http on localhost /
 * `*.localhost` for development).
 *
 * @example
 * ```ts
 * const client = validateClient({ clientId: 'app', redirectUris: ['https://app.acme.com/cb'], public: true })
 * ```
 */
export function validateClient(input: OidcClient): OidcClient {
  const bad = (message: string) => new SharedSessionError('ERR_CONFIG_INVALID', `oidc client ${JSON.stringify(input?.clientId ?? '')}: ${message}`, { detail: 'oidc.clients' })
  if (typeof input !== 'object' || input === null) throw bad('must be an object')
  if (typeof input.clientId !== 'string' || !CLIENT_ID.test(input.clientId)) throw bad('clientId must be 1–64 letters, digits, ".", "_" or "-"')
  if (!Array.isArray(input.redirectUris) || input.redirectUris.length === 0) throw bad('needs at least one redirect URI')
  const uri = (value: unknown, what: string): string => {
    let url: URL
    try {
      url = new URL(String(value))
    } catch {
      throw bad(`${what} ${JSON.stringify(value)} is not an absolute URL`)
    }
    if (url.hash || String(value).includes('#')) throw bad(`${what} ${JSON.stringify(value)} must not have a fragment`)
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) throw bad(`${what} ${JSON.stringify(value)} must be https (http only on localhost, *.localhost, 127.0.0.1 or [::1])`)
    if (url.username || url.password) throw bad(`${what} must not carry credentials`)
    return String(value)
  }
  const redirectUris = input.redirectUris.map((u) => uri(u, 'redirect URI'))
  const postLogoutRedirectUris = (input.postLogoutRedirectUris ?? [...new Set(redirectUris.map((u) => `${new URL(u).origin}/`))]).map((u) => uri(u, 'post-logout redirect URI'))
  const backchannelLogoutUri = input.backchannelLogoutUri === undefined ? undefined : uri(input.backchannelLogoutUri, 'back-channel logout URI')
  const isPublic = input.public === true
  if (isPublic && input.secretHash !== undefined) throw bad('a public client has no secret')
  if (!isPublic && !/^sha256:[0-9a-f]{64}$/.test(input.secretHash ?? '')) throw bad('a confidential client needs secretHash (hashClientSecret(secret)); or mark it public')
  if (input.authMethod !== undefined && input.authMethod !== 'client_secret_basic' && input.authMethod !== 'client_secret_post') throw bad('authMethod must be client_secret_basic or client_secret_post')
  return {
    clientId: input.clientId,
    redirectUris,
    postLogoutRedirectUris,
    ...(backchannelLogoutUri ? { backchannelLogoutUri } : {}),
    ...(isPublic ? { public: true } : { secretHash: input.secretHash!, authMethod: input.authMethod ?? 'client_secret_basic' }),
  }
}

/**
 * A registry over a fixed list, validated once.
 *
 * @example
 * ```ts
 * createHub({ ...options, oidc: { signingKey, clients: staticClients([client]) } })
 * ```
 */
export function staticClients(clients: OidcClient[]): ClientRegistry {
  const byId = new Map<string, OidcClient>()
  for (const c of clients.map(validateClient)) {
    if (byId.has(c.clientId)) throw new SharedSessionError('ERR_CONFIG_INVALID', `oidc client "${c.clientId}" is listed twice`, { detail: 'oidc.clients' })
    byId.set(c.clientId, c)
  }
  return {
    async find(id) {
      return byId.get(id) ?? null
    },
    async list() {
      return [...byId.values()]
    },
  }
}

/**
 * A registry the CLI edits: the table `oidc_clients` in a SQLite file (by
 * default the user directory's). A running hub reads it on every lookup.
 *
 * @example
 * ```ts
 * const registry = openSqliteClients({ path: '.shared-session/users.sqlite' })
 * registry.add({ clientId: 'app', redirectUris: ['https://app.acme.com/cb'], public: true })
 * ```
 */
export function openSqliteClients(options: { path: string }): ClientRegistry & { add(client: OidcClient): OidcClient; remove(clientId: string): boolean; close(): void } {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true })
  const db = new Database(options.path)
  db.pragma('busy_timeout = 2000')
  db.exec('CREATE TABLE IF NOT EXISTS oidc_clients (client_id TEXT PRIMARY KEY, metadata TEXT NOT NULL, created_at INTEGER NOT NULL)')
  const get = db.prepare<[string], { metadata: string }>('SELECT metadata FROM oidc_clients WHERE client_id = ?')
  const all = db.prepare<[], { metadata: string }>('SELECT metadata FROM oidc_clients ORDER BY client_id')
  const insert = db.prepare('INSERT INTO oidc_clients (client_id, metadata, created_at) VALUES (?, ?, ?)')
  const del = db.prepare('DELETE FROM oidc_clients WHERE client_id = ?')
  return {
    async find(id) {
      const row = get.get(id)
      return row ? (JSON.parse(row.metadata) as OidcClient) : null
    },
    async list() {
      return all.all().map((r) => JSON.parse(r.metadata) as OidcClient)
    },
    add(client) {
      const valid = validateClient(client)
      if (get.get(valid.clientId)) throw new SharedSessionError('ERR_CONFIG_INVALID', `oidc client "${valid.clientId}" exists already; remove it first`, { detail: 'clientId' })
      insert.run(valid.clientId, JSON.stringify(valid), Date.now())
      return valid
    },
    remove(id) {
      return del.run(id).changes > 0
    },
    close() {
      db.close()
    },
  }
}

/**
 * The client as oidc-provider's metadata: code flow only, refresh tokens,
 * ID tokens signed with the hub's key, back-channel logout with `sid`.
 *
 * @example
 * ```ts
 * clientMetadata(client, { idTokenAlg: 'EdDSA' }).token_endpoint_auth_method // 'client_secret_basic'
 * ```
 */
export function clientMetadata(client: OidcClient, defaults: { idTokenAlg: string }): Record<string, unknown> {
  return {
    client_id: client.clientId,
    // The provider never sees the secret: it compares through verifyClientSecret (see provider.ts).
    ...(client.public ? { token_endpoint_auth_method: 'none' } : { client_secret: client.secretHash, token_endpoint_auth_method: client.authMethod ?? 'client_secret_basic' }),
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    id_token_signed_response_alg: defaults.idTokenAlg,
    ...(client.backchannelLogoutUri ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
  }
}

/** Plain http is allowed only where it never leaves the machine (development, RFC 8252 loopback). */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '127.0.0.1' || hostname === '[::1]'
}
