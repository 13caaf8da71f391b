/**
 * What a documentation snippet may take as given instead of repeating it:
 * `<!-- doc-test: given member, store -->` above a code block imports those
 * names from here. Real values, so a snippet that runs uses a real member on
 * a real SQLite file (in `DOC_TEST_DIR`, which the test also opens to give a
 * visitor a session).
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeysConfig, loadKeyRing } from '../../src/index.js'
import { createMember } from '../../src/member/index.js'
import type { SiteConfig } from '../../src/sites/config.js'
import { createSqliteStore } from '../../src/stores/sqlite/index.js'

/** The sites of the snippets: the hub, `shop` (the member they run as) and another member. */
export const sites: SiteConfig[] = [
  { name: 'shop', origin: 'http://shop.localhost:3000' },
  { name: 'shop-de', origin: 'http://shop-de.localhost:3001' },
]

/** A deployment configuration as `readConfig` returns it (the fields snippets use). */
export const config = {
  hub: { origin: 'http://auth.localhost:4000' },
  sites,
  store: `sqlite:${join(process.env.DOC_TEST_DIR ?? tmpdir(), 'sessions.sqlite')}`,
  keys: await generateKeysConfig(),
}

/** The shared store, a SQLite file the test can open too. */
export const store = createSqliteStore({ path: join(process.env.DOC_TEST_DIR ?? tmpdir(), 'sessions.sqlite') })

/** The hub's origin. */
export const hub = config.hub.origin

/** The deployment's key ring. */
export const keys = await loadKeyRing(config.keys)

/** The member `shop`. */
export const member = createMember({ site: 'shop', sites, hub, keys, store, selfCheck: false })

/** An app's own user table, for the token consumer's find-or-create. */
export const db = {
  async upsertUser(key: { iss: string; sub: string }, fields: { name: string }): Promise<{ id: string; name: string }> {
    return { id: `${key.iss}#${key.sub}`, name: fields.name }
  },
}
