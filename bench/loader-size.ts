import { generateKeysConfig } from '../src/keys/generate.js'
import { loadKeyRing } from '../src/keys/key-ring.js'
import { loaderTags } from '../src/member/loader.js'
import { resolveMemberOptions } from '../src/member/options.js'
import { newId } from '../src/sessions/ids.js'
import { createMemoryStore } from '../src/stores/memory/index.js'

/** Bytes the push loader adds to a page, for the demo's layout (shop.localhost's page, three other sites). */
export async function loaderBytes(): Promise<{ total: number; sites: number; perSite: number }> {
  const ctx = resolveMemberOptions({
    site: 'shop',
    sites: [
      { name: 'forum', origin: 'http://forum.acme.localhost:4001' },
      { name: 'shop', origin: 'http://shop.localhost:4002' },
      { name: 'shop-de', origin: 'http://shop-de.localhost:4003' },
    ],
    hub: 'http://auth.acme.localhost:4000',
    keys: await loadKeyRing(await generateKeysConfig()),
    store: createMemoryStore(),
  })
  const total = Buffer.byteLength(loaderTags(ctx, newId()))
  return { total, sites: ctx.pushTargets.length, perSite: Math.ceil(total / ctx.pushTargets.length) }
}
