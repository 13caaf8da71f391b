import { generateKeysConfig } from '../../src/keys/generate.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import type { KeysConfig } from '../../src/keys/config.js'
import { createMember } from '../../src/member/create-member.js'
import { demoSiteApp } from '../../src/demo/site-app.js'
import type { DemoSite } from '../../src/demo/page.js'
import { generateClientSecret, hashClientSecret, type OidcClient } from '../../src/oidc/clients.js'
import type { OidcOptions } from '../../src/oidc/options.js'
import { startTestHub, type TestHub } from '../helpers/hub.js'
import { listenOnFreePort } from '../helpers/listen.js'
import { startRelyingParty, type RelyingParty } from './relying-party.js'

let keysPromise: Promise<KeysConfig> | undefined
/** One key configuration per test process (the OIDC option needs the private JWK, not only the ring). */
export function sharedKeys(): Promise<KeysConfig> {
  keysPromise ??= generateKeysConfig()
  return keysPromise
}

/** A hub with the OIDC provider on, its clients given; `keys` defaults to the shared (EdDSA) ones. */
export async function startOidcHub(
  clients: OidcClient[],
  extra: Partial<OidcOptions> = {},
  hubOptions: Parameters<typeof startTestHub>[0] = {},
  keysConfig?: KeysConfig,
): Promise<TestHub> {
  const keys = keysConfig ?? (await sharedKeys())
  return startTestHub({ ...hubOptions, keys: await loadKeyRing(keys), oidc: { signingKey: keys.signingKeys[0]!, clients, ...extra } })
}

/** Everything the browser scenarios need, on random ports. */
export interface OidcWorld {
  hub: TestHub
  /** A confidential client with back-channel logout, on rp.localhost. */
  rp: RelyingParty
  /** A public client (PKCE only), on rp2.localhost. */
  rp2: RelyingParty
  /** A cross-site member of the hub, on shop.localhost (the demo's shop page). */
  shop: { origin: string }
  close(): Promise<void>
}

/**
 * Start the hub (with a member and two relying parties registered), plus
 * `extraClients`: relying parties the caller serves itself (another
 * language's library), registered beside rp and rp2. `keys`: the hub's
 * keys when the shared EdDSA ones will not do (an RP that cannot check an
 * EdDSA ID token's at_hash gets an ES256 hub).
 */
export async function startOidcWorld(extraClients: OidcClient[] = [], options: { keys?: KeysConfig } = {}): Promise<OidcWorld> {
  const rpListen = await listenOnFreePort()
  const rp2Listen = await listenOnFreePort()
  const shopListen = await listenOnFreePort()
  const rpOrigin = `http://rp.localhost:${rpListen.port}`
  const rp2Origin = `http://rp2.localhost:${rp2Listen.port}`
  const shopOrigin = `http://shop.localhost:${shopListen.port}`
  const secret = generateClientSecret()
  const hub = await startOidcHub(
    [
      { clientId: 'rp', redirectUris: [`${rpOrigin}/cb`], secretHash: hashClientSecret(secret), backchannelLogoutUri: `http://127.0.0.1:${rpListen.port}/backchannel-logout` },
      { clientId: 'rp2', redirectUris: [`${rp2Origin}/cb`], public: true, backchannelLogoutUri: `http://127.0.0.1:${rp2Listen.port}/backchannel-logout` },
      ...extraClients,
    ],
    {},
    { sites: [{ name: 'shop', origin: shopOrigin }] },
    options.keys,
  )
  const sites: DemoSite[] = [
    { name: 'hub', label: 'hub', origin: hub.origin, shop: false },
    { name: 'shop', label: 'shop', origin: shopOrigin, shop: true },
  ]
  const member = createMember({ site: 'shop', sites: [{ name: 'shop', origin: shopOrigin }], hub: hub.origin, keys: hub.ring, store: hub.store, log: () => undefined })
  shopListen.server.on('request', demoSiteApp({ site: sites[1]!, sites, member, loginUrl: (r) => `${hub.origin}/login?return=${encodeURIComponent(r)}` }))
  const rp = await startRelyingParty({ server: rpListen.server, origin: rpOrigin, hubOrigin: hub.origin, hubUrl: hub.url, clientId: 'rp', clientSecret: secret, scope: 'openid profile email offline_access' })
  const rp2 = await startRelyingParty({ server: rp2Listen.server, origin: rp2Origin, hubOrigin: hub.origin, hubUrl: hub.url, clientId: 'rp2' })
  return {
    hub,
    rp,
    rp2,
    shop: { origin: shopOrigin },
    async close() {
      await Promise.all([rpListen.close(), rp2Listen.close(), shopListen.close()])
      await hub.close()
    },
  }
}
