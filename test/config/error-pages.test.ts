import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { createServer, request as httpRequest, type RequestListener } from 'node:http'
import { after, before, describe, test } from 'node:test'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { getRequestListener } from '@hono/node-server'
import { toExpress } from '../../src/adapters/express/index.js'
import { registerFastify } from '../../src/adapters/fastify/index.js'
import { toHono } from '../../src/adapters/hono/index.js'
import type { MiddlewareCore } from '../../src/adapters/middleware.js'
import { withNodeMiddleware } from '../../src/adapters/node/index.js'
import { SharedSessionError } from '../../src/errors/shared-session-error.js'
import { sealHandoff } from '../../src/handoff/seal.js'
import { generateKeysConfig } from '../../src/keys/generate.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { createMember } from '../../src/member/create-member.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'

const HUB = 'http://auth.acme.localhost:1'
const NAVIGATE = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', accept: 'text/html,application/xhtml+xml', cookie: 'ss-state=x' }

/** A GET with exactly these headers (fetch() would replace Sec-Fetch-Mode with its own "cors"). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; type: string; cacheControl: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (d: string) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type'] ?? ''), cacheControl: String(res.headers['cache-control'] ?? ''), text }))
    })
    req.once('error', reject)
    req.end()
  })
}

async function listen(listener: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

describe('a navigation that meets an error at a member gets a page, an API client gets JSON', () => {
  let shop: { url: string; close(): Promise<void> }
  let hubRing: Awaited<ReturnType<typeof loadKeyRing>>
  const sealed = () => sealHandoff(hubRing, { ref: null, src: 'hub', dst: 'shop', bind: randomBytes(32).toString('base64url') })

  before(async () => {
    hubRing = await loadKeyRing(await generateKeysConfig())
    // The member was given another deployment's keys: the mistake of issue 11 item 5.
    const wrong = await loadKeyRing(await generateKeysConfig())
    const port = await (async () => {
      const probe = await listen(() => undefined)
      const p = Number(new URL(probe.url).port)
      await probe.close()
      return p
    })()
    const member = createMember({ site: 'shop', sites: [{ name: 'shop', origin: `http://127.0.0.1:${port}` }], hub: HUB, keys: wrong, store: createMemoryStore(), log: () => undefined })
    const server = createServer(withNodeMiddleware(member, (_req, res) => res.end('app')))
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    shop = { url: `http://127.0.0.1:${port}`, close: async () => (server.closeAllConnections(), await new Promise((r) => server.close(r)), undefined) }
  })
  after(() => shop.close())

  test('ERR_PAYLOAD_KEY_UNKNOWN on accept: an HTML page that says the keys differ and links on to the page wanted', async () => {
    const response = await get(`${shop.url}/_session/accept?p=${sealed()}&return=${encodeURIComponent(`${shop.url}/cart?item=7`)}`, NAVIGATE)
    assert.equal(response.status, 400, 'the status stays the error status')
    assert.match(response.type, /^text\/html/)
    assert.equal(response.cacheControl, 'no-store')
    const page = response.text
    assert.match(page, /data-testid="error-title">Your session could not be carried over</)
    assert.match(page, /do not share the same keys/)
    assert.match(page, /shared-session config member/, 'the operator learns the fix')
    assert.match(page, /href="\/cart\?item=7"/, 'a link on to the page the visitor wanted, on this site')
    assert.match(page, />ERR_PAYLOAD_KEY_UNKNOWN</)
  })

  test('the same error for a fetch() or an API client stays JSON', async () => {
    const clients: Array<Record<string, string>> = [{ 'sec-fetch-mode': 'cors', accept: '*/*' }, { accept: 'application/json' }, { 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script', accept: 'text/html' }]
    for (const headers of clients) {
      const response = await get(`${shop.url}/_session/accept?p=${sealed()}&return=%2F`, { ...headers, cookie: 'ss-state=x' })
      assert.equal(response.status, 400)
      assert.match(response.type, /^application\/json/, JSON.stringify(headers))
      const body = JSON.parse(response.text) as { error: string }
      assert.ok(body.error.startsWith('ERR_'), JSON.stringify(body))
    }
  })

  test('ERR_RETURN_URL: the page explains and links home, never to the foreign address', async () => {
    const response = await get(`${shop.url}/_session/accept?p=${sealed()}&return=${encodeURIComponent('https://evil.example/phish')}`, NAVIGATE)
    assert.equal(response.status, 400)
    const page = response.text
    assert.match(page, /Unknown address to return to/)
    assert.match(page, /href="\/"/)
    assert.doesNotMatch(page, /evil\.example/)
  })

  test('a return path cannot smuggle markup or another origin into the page', async () => {
    for (const ret of ['//evil.example/x', '/\\evil.example', '/"><script>alert(1)</script>', 'javascript:alert(1)']) {
      const response = await get(`${shop.url}/_session/accept?p=${sealed()}&return=${encodeURIComponent(ret)}`, NAVIGATE)
      const page = response.text
      assert.match(response.type, /^text\/html/, ret)
      assert.doesNotMatch(page, /<script>|evil\.example|javascript:/, ret)
      const href = /data-testid="error-continue" href="([^"]*)"/.exec(page)![1]!
      assert.match(href, /^\/(?![/\\])/, `${ret} → ${href}`)
    }
  })
})

describe('every adapter routes a navigation to the page', () => {
  const core: MiddlewareCore<null> = {
    property: 'session',
    origin: 'http://app.localhost',
    handle: async () => {
      throw new SharedSessionError('ERR_PAYLOAD_EXPIRED', 'payload expired')
    },
  }
  const apps: Record<string, () => Promise<RequestListener>> = {
    node: async () => withNodeMiddleware(core, (_req, res) => res.end('app')),
    express: async () => express().use(toExpress(core)) as unknown as RequestListener,
    hono: async () => getRequestListener(new Hono().use(toHono(core)).fetch),
    fastify: async () => {
      const app = Fastify()
      registerFastify(app, core)
      app.get('/*', async () => 'app')
      await app.ready()
      return (req, res) => app.server.emit('request', req, res)
    },
  }
  for (const [name, make] of Object.entries(apps)) {
    test(name, async () => {
      const server = await listen(await make())
      try {
        const page = await get(`${server.url}/_session/accept?return=%2Fcart`, NAVIGATE)
        assert.equal(page.status, 410)
        assert.match(page.type, /^text\/html/)
        const text = page.text
        assert.match(text, /The link took too long/)
        assert.match(text, /href="\/cart"/)
        const api = await get(`${server.url}/_session/accept`, { accept: 'application/json' })
        assert.equal(api.status, 410)
        assert.deepEqual(JSON.parse(api.text), { error: 'ERR_PAYLOAD_EXPIRED', message: 'payload expired' })
      } finally {
        await server.close()
      }
    })
  }
})
