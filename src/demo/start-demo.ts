import { mkdirSync } from 'node:fs'
import { createServer, type RequestListener, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { join } from 'node:path'
import { toNodeListener } from '../adapters/node/listener.js'
import { createHub, type Hub } from '../hub/create-hub.js'
import { generateKeysConfig } from '../keys/generate.js'
import { loadKeyRing } from '../keys/key-ring.js'
import { createMember, type Member } from '../member/create-member.js'
import type { MemberOptions } from '../member/options.js'
import { createMemoryStore } from '../stores/memory/index.js'
import { createSqliteStore } from '../stores/sqlite/index.js'
import type { SessionStore } from '../stores/store.js'
import { createSqliteUserDirectory } from '../users/sqlite-directory.js'
import { demoSiteApp, mergeCarts } from './site-app.js'
import type { DemoSite } from './page.js'
import { createSelfSignedCertificate, type CertificateAndKey } from './self-signed-certificate.js'

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Hub on this port, then forum, shop, shop-de on the next three. Default 4000. */
  portBase?: number
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string
  /** Folder for the SQLite files. Default `.shared-session`. */
  dataDir?: string
  /** `sqlite` (the embedded default) or `memory` (tests). */
  store?: 'sqlite' | 'memory'
  /**
   * Serve the four sites over https, as in production (`__Host-` cookies
   * marked `Secure`): `true` makes a self-signed certificate at start for
   * `localhost`, `*.localhost`, `*.acme.localhost` and the demo's four
   * names; or pass your own. Default plain http, where the first-party
   * cookies are not `Secure` so every browser, WebKit included, keeps them.
   */
  https?: boolean | CertificateAndKey
  /** Per-site member options, e.g. `{ 'shop-de': { alwaysReplace: true } }`. */
  members?: Partial<Record<'forum' | 'shop' | 'shop-de', Partial<MemberOptions>>>
  log?: (message: string) => void
}

/** A running demo. */
export interface Demo {
  sites: DemoSite[]
  /** The certificate the sites are served with (`https` only), e.g. to trust it in a test client. */
  certificate: CertificateAndKey | null
  hub: Hub
  members: Record<'forum' | 'shop' | 'shop-de', Member>
  store: SessionStore
  close(): Promise<void>
}

/** The demo's user, seeded on start. */
export const DEMO_USER = { username: 'alice', password: 'wonderland', email: 'alice@acme.localhost', name: 'Alice Liddell' }

/**
 * Start the four sites of the demo in one process: the hub
 * `auth.acme.localhost`, the subdomain member `forum.acme.localhost`, and the
 * cross-site members `shop.localhost` and `shop-de.localhost`, on the
 * embedded default store. Browsers resolve `*.localhost` to this machine, so
 * this is a real multi-domain setup over plain http (or https with
 * `https: true`).
 *
 * @example
 * ```ts
 * const demo = await startDemo({ portBase: 4000 })
 * console.log(demo.sites.map((s) => s.origin))
 * await demo.close()
 * ```
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const portBase = options.portBase ?? 4000
  const host = options.host ?? '127.0.0.1'
  const dataDir = options.dataDir ?? '.shared-session'
  const log = options.log ?? console.error
  const labels = ['auth.acme.localhost', 'forum.acme.localhost', 'shop.localhost', 'shop-de.localhost'] as const
  const certificate = options.https === true ? createSelfSignedCertificate(['localhost', '*.localhost', '*.acme.localhost', ...labels]) : options.https || null
  const scheme = certificate ? 'https' : 'http'
  const sites: DemoSite[] = [
    { name: 'hub', label: labels[0], origin: `${scheme}://${labels[0]}:${portBase}`, shop: false },
    { name: 'forum', label: labels[1], origin: `${scheme}://${labels[1]}:${portBase + 1}`, shop: false },
    { name: 'shop', label: labels[2], origin: `${scheme}://${labels[2]}:${portBase + 2}`, shop: true },
    { name: 'shop-de', label: labels[3], origin: `${scheme}://${labels[3]}:${portBase + 3}`, shop: true },
  ]
  const [hubSite, ...memberSites] = sites as [DemoSite, ...DemoSite[]]
  const memory = options.store === 'memory'
  if (!memory) mkdirSync(dataDir, { recursive: true })
  const store = memory ? createMemoryStore() : createSqliteStore({ path: join(dataDir, 'sessions.sqlite') })
  const users = createSqliteUserDirectory({ path: memory ? ':memory:' : join(dataDir, 'users.sqlite') })
  if (!users.get(DEMO_USER.username)) await users.add(DEMO_USER)
  const keysConfig = await generateKeysConfig()
  const keys = await loadKeyRing(keysConfig)
  const siteConfigs = memberSites.map(({ name, origin }) => ({ name, origin }))
  // The hub is an OpenID Connect provider too (discovery at /.well-known/openid-configuration); no app is registered in the demo.
  const oidc = { signingKey: keysConfig.signingKeys[0]!, clients: [] }
  const hub = createHub({ origin: hubSite.origin, parentDomain: 'acme.localhost', keys, store, users, sites: siteConfigs, title: 'Sign in to Acme', log, oidc })

  const members = {} as Demo['members']
  for (const site of memberSites as (DemoSite & { name: keyof Demo['members'] })[]) {
    members[site.name] = createMember({
      site: site.name,
      sites: siteConfigs,
      hub: hubSite.origin,
      keys,
      store,
      // The forum shares the hub's parent domain: the hub's token cookie tells it to pull at once.
      ...(site.name === 'forum' ? { token: { audience: 'acme.localhost' } } : {}),
      // Carts join when a site adopts another session: nothing is lost to tracking protection or sign-in.
      merge: mergeCarts,
      log,
      // Node does not trust the demo's self-signed certificate: the start-up check would only cry wolf.
      ...(certificate ? { selfCheck: false } : {}),
      ...options.members?.[site.name],
    })
  }
  const loginUrl = (returnTo: string) => `${hubSite.origin}/login?return=${encodeURIComponent(returnTo)}`
  const hubPage = demoSiteApp({ site: hubSite, sites, member: hub.member, loginUrl })
  const hubRest = toNodeListener(hub.fetch, { origin: hub.origin })
  const serve = (listener: RequestListener): Server => (certificate ? createHttpsServer(certificate, listener) : createServer(listener))
  const servers: Server[] = [
    serve((req, res) => {
      const path = (req.url ?? '/').split('?')[0]
      return path === '/' || path?.startsWith(`${hub.context.prefix}/`) ? hubPage(req, res) : hubRest(req, res)
    }),
    ...memberSites.map((site) => serve(demoSiteApp({ site, sites, member: members[site.name as keyof Demo['members']], loginUrl }))),
  ]
  const listening = await Promise.allSettled(servers.map((server, i) => listen(server, portBase + i, host)))
  const failed = listening.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) {
    // A port was taken (EADDRINUSE): free the ports that did open, so the caller can retry elsewhere.
    await Promise.all(servers.filter((server) => server.listening).map((server) => new Promise((resolve) => server.close(resolve))))
    users.close()
    await store.close()
    throw failed.reason
  }
  return {
    sites,
    certificate,
    hub,
    members,
    store,
    async close() {
      for (const server of servers) server.closeAllConnections()
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
      users.close()
      await store.close()
    },
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}
