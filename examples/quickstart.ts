/**
 * A five-step tour of the core on the embedded default store (one SQLite
 * file under .shared-session/, no server needed): one global session, a
 * cookie per site, and a sealed single-use handoff between two sites.
 *
 * Run: npm start
 */
import { mkdirSync } from 'node:fs'
import {
  createSession,
  generateKeysConfig,
  linkSite,
  loadKeyRing,
  patchSession,
  redeemHandoff,
  resolveCookie,
  rotateSession,
  sealHandoff,
  sessionPolicy,
  isSharedSessionError,
  fromRecord,
} from '../src/index.js'
import { createSqliteStore } from '../src/stores/sqlite/index.js'

mkdirSync('.shared-session', { recursive: true })
const store = createSqliteStore({ path: '.shared-session/quickstart.sqlite' })
const ring = await loadKeyRing(await generateKeysConfig())
const policy = sessionPolicy()
const sites = new Set(['hub', 'shop', 'shop-de'])

// 1. An anonymous visitor on shop.localhost gets a global session and shop's own cookie.
const session = await createSession(store, policy)
const shopCookie = await linkSite(store, session, 'shop')
await patchSession(store, session.id, { cart: ['teapot'] })
console.log(`1. shop.localhost cookie ${shopCookie.slice(0, 8)}… → session with cart ["teapot"]`)

// 2. shop's page carries a sealed payload for shop-de (the push/pull handoff).
const sealed = sealHandoff(ring, { ref: session.id, src: 'shop', dst: 'shop-de' })
console.log(`2. handoff payload for shop-de.localhost (${sealed.length} chars): ${sealed.slice(0, 24)}…`)

// 3. shop-de redeems it once, and links its own cookie to the same global session.
const payload = await redeemHandoff(store, ring, sealed, { dst: 'shop-de', sources: sites })
const found = await store.getSession(payload.ref!, Date.now())
const deCookie = await linkSite(store, fromRecord(found!), 'shop-de')
const onDe = await resolveCookie(store, 'shop-de', deCookie)
console.log(`3. shop-de.localhost sees cart ${JSON.stringify(onDe?.data.cart)} under its own cookie ${deCookie.slice(0, 8)}…`)

// 4. The same payload a second time is refused: single use.
try {
  await redeemHandoff(store, ring, sealed, { dst: 'shop-de', sources: sites })
} catch (err) {
  if (isSharedSessionError(err)) console.log(`4. replayed payload refused: ${err.code} (HTTP ${err.status})`)
}

// 5. Login rotates: a new global session keeps the cart, every old cookie dies.
const alice = { sub: 'u_1', username: 'alice', email: 'alice@example.com' }
const loggedIn = await rotateSession(store, policy, session.id, { user: alice })
console.log(`5. after login: ${loggedIn.user?.username} with cart ${JSON.stringify(loggedIn.data.cart)}; old shop cookie → ${await resolveCookie(store, 'shop', shopCookie)}`)

await store.close()
