import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ResponseSink } from '../../src/adapters/middleware.js'
import { createMember } from '../../src/member/create-member.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { testRing } from '../helpers/keys.js'

const SITES = [
  { name: 'shop', origin: 'https://shop.localhost:4002' },
  { name: 'shop-de', origin: 'https://shop-de.localhost:4003' },
  { name: 'wiki', origin: 'https://wiki.acme.localhost:4005', member: false },
]

/** A page view as a browser with a plain cookie jar makes it; returns the loader and what was set. */
async function pageView(member: ReturnType<typeof createMember>, jar: Map<string, string>) {
  const cookies: string[] = []
  const headers: Record<string, string> = {}
  const sink: ResponseSink = { setCookie: (c) => void cookies.push(c), setHeader: (n, v) => void (headers[n] = v) }
  const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const { value } = await member.handle({ method: 'GET', url: 'https://shop.localhost:4002/', headers: new Headers(cookie ? { cookie } : {}) }, sink)
  if (!value.id) await value.set('cart', ['teapot'])
  const loader = value.loader()
  for (const line of cookies) {
    const [pair] = line.split(';')
    const [name, v] = pair!.split('=') as [string, string]
    if (v === '') jar.delete(name)
    else jar.set(name, v)
  }
  return { loader, headers, session: value }
}

test('the push loader runs once per session: later page views carry no payload, a new session does again', async () => {
  const store = createMemoryStore()
  const member = createMember({ site: 'shop', sites: SITES, hub: 'https://auth.acme.localhost:4000', selfCheck: false, keys: await testRing(), store })
  const jar = new Map<string, string>()
  const first = await pageView(member, jar)
  const targets = [...first.loader.matchAll(/src="([^"]+)"/g)].map((m) => new URL(m[1]!).origin)
  assert.deepEqual(targets.sort(), ['https://shop-de.localhost:4003'], 'every other member site; never the hub (a session enters it only by signing in) nor a token-only site')
  assert.equal(first.headers['cache-control'], 'private, no-store', 'a page carrying payloads is never cached')
  assert.ok(jar.has('__Host-ss-pushed'))
  for (let i = 0; i < 3; i++) {
    const again = await pageView(member, jar)
    assert.equal(again.loader, '', `page view ${i + 2} carries no push`)
  }
  // The session changes (logout, then a new anonymous session): the loader runs again.
  await first.session.logout()
  jar.delete('__Host-ss')
  jar.delete('__Host-ss-live')
  const fresh = await pageView(member, jar)
  assert.notEqual(fresh.session.id, first.session.id)
  assert.notEqual(fresh.loader, '')
})

test('the live companion cookie is not a credential: presented as the session cookie it opens nothing', async () => {
  const store = createMemoryStore()
  const member = createMember({ site: 'shop', sites: SITES, hub: 'https://auth.acme.localhost:4000', selfCheck: false, keys: await testRing(), store })
  const jar = new Map<string, string>()
  const { session } = await pageView(member, jar)
  const live = jar.get('__Host-ss-live')!
  assert.ok(session.id && live)
  const before = await store.count(Date.now())
  const { value } = await member.handle({ method: 'GET', url: 'https://shop.localhost:4002/', headers: new Headers({ cookie: `__Host-ss=${live}` }) })
  assert.equal(value.id, null, 'the store key of a link, replayed as a cookie value, resolves to no session')
  assert.deepEqual(await store.count(Date.now()), before, 'and writes nothing')
})

test('a push the browser marks as having no cookie access (Sec-Fetch-Storage-Access: none) writes nothing and fires nothing', async () => {
  const store = createMemoryStore()
  const keys = await testRing()
  const shop = createMember({ site: 'shop', sites: SITES, hub: 'https://auth.acme.localhost:4000', selfCheck: false, keys, store })
  const de = createMember({ site: 'shop-de', sites: SITES, hub: 'https://auth.acme.localhost:4000', selfCheck: false, keys, store })
  const replaced: unknown[] = []
  de.events.on('session.replaced', (e) => void replaced.push(e))
  const { loader } = await pageView(shop, new Map())
  const url = [...loader.matchAll(/src="([^"]+)"/g)].map((m) => m[1]!).find((u) => u.startsWith('https://shop-de.localhost:4003'))!
  const headers = { referer: 'https://shop.localhost:4002/', 'sec-fetch-dest': 'script' }
  const before = await store.count(Date.now())
  const blocked = await de.handle({ method: 'GET', url, headers: new Headers({ ...headers, 'sec-fetch-storage-access': 'none' }) })
  assert.equal(await blocked.response!.text(), '/* shared-session: blocked */\n')
  assert.deepEqual(blocked.response!.headers.getSetCookie(), [])
  assert.deepEqual(await store.count(Date.now()), before, 'no link, no nonce')
  assert.deepEqual(replaced, [])
  // The payload was not spent: where the browser does allow the cookie, the same push links.
  const allowed = await de.handle({ method: 'GET', url, headers: new Headers(headers) })
  assert.equal(await allowed.response!.text(), '/* shared-session: linked */\n')
  assert.equal(replaced.length, 1)
})
