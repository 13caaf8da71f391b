/**
 * A development hub for trying the Python examples locally: auth.acme.localhost:4000,
 * token cookie on acme.localhost, the Flask app (wiki.acme.localhost:5000) and the
 * Django app (blog.acme.localhost:5001) as sites, and a user alice / wonderland. Fresh signing keys on every start (the
 * Flask app refetches the JWKS when it meets an unknown kid).
 *
 * Run from the repository root: npx tsx examples/python-flask/dev-hub.ts
 */
import { mkdirSync } from 'node:fs'
import { createHub } from '../../src/hub/create-hub.js'
import { serveHub } from '../../src/hub/serve.js'
import { generateKeysConfig } from '../../src/keys/generate.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { createSqliteStore } from '../../src/stores/sqlite/index.js'
import { createSqliteUserDirectory } from '../../src/users/sqlite-directory.js'

mkdirSync('.shared-session', { recursive: true })
const users = createSqliteUserDirectory({ path: '.shared-session/dev-hub-users.sqlite' })
if (!users.get('alice')) await users.add({ username: 'alice', password: 'wonderland', email: 'alice@acme.example', name: 'Alice Liddell' })

const hub = createHub({
  origin: 'http://auth.acme.localhost:4000',
  parentDomain: 'acme.localhost',
  keys: await loadKeyRing(await generateKeysConfig()),
  store: createSqliteStore({ path: '.shared-session/dev-hub-sessions.sqlite' }),
  users,
  sites: [
    { name: 'wiki', origin: 'http://wiki.acme.localhost:5000' },
    { name: 'blog', origin: 'http://blog.acme.localhost:5001' },
  ],
})
await serveHub(hub, { port: 4000 })
console.log(`hub on ${hub.origin} (sign in as alice / wonderland)`)
