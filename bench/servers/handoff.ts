// Cases 7 and 8 on the Redis store. BENCH_MODE=push: a member's push endpoint, every request a
// fresh valid payload (open, single-use nonce, link). pull: the hub's pull endpoint for a
// visitor with a hub session (resolve, seal, redirect).
import { createServer } from 'node:http'
import { toNodeListener } from '../../src/adapters/node/listener.js'
import { withNodeMiddleware } from '../../src/adapters/node/index.js'
import { createHub } from '../../src/hub/create-hub.js'
import { createMember } from '../../src/member/create-member.js'
import { createSession } from '../../src/sessions/create.js'
import { linkSite } from '../../src/sessions/link.js'
import { sessionPolicy } from '../../src/sessions/policy.js'
import { createRedisStore } from '../../src/stores/redis/index.js'
import { PORT, PREFIX, ready, REDIS_URL, ring } from './common.js'

const mode = process.env.BENCH_MODE ?? 'push'
const keys = await ring()
const store = createRedisStore({ url: REDIS_URL, prefix: PREFIX })
const session = await createSession(store, sessionPolicy(), { data: { cart: ['teapot'] } })

if (mode === 'push') {
  const sites = [{ name: 'shop', origin: 'http://shop.localhost:9' }, { name: 'shop-de', origin: `http://shop-de.localhost:${PORT}` }]
  const member = createMember({ site: 'shop-de', sites, hub: 'http://auth.localhost:9', keys, store, selfCheck: false })
  ready(createServer(withNodeMiddleware(member, (_req, res) => res.end('ok'))), { ref: session.id, referer: 'http://shop.localhost:9/' })
} else {
  const origin = `http://auth.localhost:${PORT}`
  const hub = createHub({ origin, keys, store, users: { authenticate: async () => null }, sites: [{ name: 'shop', origin: 'http://shop.localhost:9' }] })
  const cookie = await linkSite(store, session, 'hub')
  // The hub's own cookie name on this origin (plain http: no __Host- prefix): a wrong name would measure the anonymous path instead.
  ready(createServer(toNodeListener(hub.fetch, { origin })), { cookie: `${hub.context.cookies.session.name}=${cookie}` })
}
