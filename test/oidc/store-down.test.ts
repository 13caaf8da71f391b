import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { createRedisOidcStorage } from '../../src/oidc/storage-redis.js'
import { createRedisStore } from '../../src/stores/redis/index.js'
import { newId } from '../../src/sessions/ids.js'
import { agent } from './agent.js'
import { startOidcHub } from './fixtures.js'
import { authorizeUrl, pkce, tokenRequest } from './oauth.js'

const APP = 'http://app.localhost:3999/cb'
const query = () => ({ client_id: 'app', response_type: 'code', scope: 'openid', redirect_uri: APP, code_challenge: pkce().challenge, code_challenge_method: 'S256' })

test('the hub session store down: the sign-in step is a 503 page with its code, never a 500', async () => {
  const store = createRedisStore({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 300, commandTimeoutMs: 300 })
  const hub = await startOidcHub([{ clientId: 'app', redirectUris: [APP], public: true }], {}, { store, log: () => undefined })
  try {
    const a = agent(hub)
    a.cookies.set(hub.hub.context.cookies.session.name, newId())
    const first = await a.get(authorizeUrl(hub, query()))
    assert.equal(first.status, 303)
    const step = await a.get(new URL(first.headers.get('location')!, hub.origin).href)
    assert.equal(step.status, 503)
    assert.equal(step.headers.get('x-error-code'), 'ERR_STORE_UNAVAILABLE')
    assert.match(await step.text(), /unavailable right now/)
  } finally {
    await hub.close()
  }
})

test("the provider's own storage down: 503 with OAuth's temporarily_unavailable for programs, a page for people", async () => {
  const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, commandTimeout: 300, connectTimeout: 300, enableOfflineQueue: false, retryStrategy: () => null, lazyConnect: true })
  down.on('error', () => undefined)
  const hub = await startOidcHub([{ clientId: 'app', redirectUris: [APP], public: true }], { storage: createRedisOidcStorage({ client: down }) }, { log: () => undefined })
  try {
    const page = await agent(hub).get(authorizeUrl(hub, query()))
    assert.equal(page.status, 503)
    assert.equal(page.headers.get('x-error-code'), 'ERR_STORE_UNAVAILABLE')
    const token = await tokenRequest(hub, { grant_type: 'authorization_code', code: 'c', redirect_uri: APP, code_verifier: pkce().verifier, client_id: 'app' })
    assert.equal(token.status, 503)
    assert.equal(token.body.error, 'temporarily_unavailable')
  } finally {
    down.disconnect()
    await hub.close()
  }
})
