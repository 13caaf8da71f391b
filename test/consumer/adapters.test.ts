// One table of behaviour, run against every adapter on a real HTTP server:
// Express, Fastify, Hono (@hono/node-server) and plain node:http. Each app
// has GET / (text) and GET /api (JSON) answering with the username the
// adapter handed it, or 'guest'. Requests go through node:http so the Host
// header is whatever the test says, as a hostile client would send it.
import assert from 'node:assert/strict'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it, type TestContext } from 'node:test'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { toExpress } from '../../src/adapters/express/index.js'
import { registerFastify } from '../../src/adapters/fastify/index.js'
import { toHono } from '../../src/adapters/hono/index.js'
import type { MiddlewareCore } from '../../src/adapters/middleware.js'
import { withNodeMiddleware } from '../../src/adapters/node/index.js'
import { createJwksClient } from '../../src/consumer/jwks-client.js'
import { createTokenConsumer } from '../../src/consumer/token-consumer.js'
import { SharedSessionError } from '../../src/errors/shared-session-error.js'
import { ALICE, startTestHub, type TestHub } from '../helpers/hub.js'
import { CookieJar, loginOverHttp } from '../helpers/http.js'
import { AUDIENCE, BOUND_COOKIE, FETCH, FORUM, NAVIGATE, TOKEN_COOKIE, closedPort, payloadOf } from './fixtures.js'
import { sidDigest } from '../../src/confirm/cookies.js'

type Core = MiddlewareCore<unknown>

/** What every app answers: the username the adapter handed it, or 'guest'. */
function usernameOf(value: unknown): string {
  return (value as { user?: { username?: string } | null } | undefined)?.user?.username ?? 'guest'
}

/** The app's own cookie, set by the route with the framework's usual call: it must survive next to the core's. */
const APP_COOKIE = 'app-pref=compact; Path=/'
/** Where every app's GET /moved redirects (the app's own redirect, not the core's). */
const MOVED = `${FORUM}/elsewhere`

interface Running {
  port: number
  close(): Promise<void>
}

interface Adapter {
  name: string
  start(core: Core): Promise<Running>
}

async function listen(server: Server): Promise<Running> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    port,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

const ADAPTERS: Adapter[] = [
  {
    name: 'express',
    async start(core) {
      const app = express()
      app.use(toExpress(core))
      app.get('/', (req, res) => {
        res.append('set-cookie', APP_COOKIE)
        res.type('text/plain').send(usernameOf((req as unknown as Record<string, unknown>)[core.property]))
      })
      app.get('/api', (req, res) => {
        res.json({ user: usernameOf((req as unknown as Record<string, unknown>)[core.property]) })
      })
      app.get('/moved', (_req, res) => res.redirect(302, MOVED))
      return listen(createServer(app).listen(0, '127.0.0.1'))
    },
  },
  {
    name: 'fastify',
    async start(core) {
      const app = Fastify({ logger: false })
      registerFastify(app, core)
      app.get('/', async (request, reply) => {
        reply.header('set-cookie', APP_COOKIE).type('text/plain')
        return usernameOf((request as unknown as Record<string, unknown>)[core.property])
      })
      app.get('/api', async (request) => ({ user: usernameOf((request as unknown as Record<string, unknown>)[core.property]) }))
      app.get('/moved', async (_request, reply) => reply.redirect(MOVED, 302))
      await app.listen({ port: 0, host: '127.0.0.1' })
      return { port: (app.server.address() as AddressInfo).port, close: () => app.close() }
    },
  },
  {
    name: 'hono',
    async start(core) {
      const app = new Hono()
      app.use(toHono(core))
      app.get('/', (c) => {
        c.header('set-cookie', APP_COOKIE, { append: true })
        return c.text(usernameOf(c.get(core.property as never)))
      })
      app.get('/api', (c) => c.json({ user: usernameOf(c.get(core.property as never)) }))
      // A plain Fetch redirect: its headers are immutable.
      app.get('/moved', () => Response.redirect(MOVED, 302))
      return listen(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', overrideGlobalObjects: false }) as Server)
    },
  },
  {
    name: 'node:http',
    async start(core) {
      const handler: RequestListener = (req, res) => {
        const name = usernameOf((req as unknown as Record<string, unknown>)[core.property])
        if (req.url === '/moved') {
          res.writeHead(302, { location: MOVED }).end()
          return
        }
        if (req.url?.startsWith('/api')) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user: name }))
          return
        }
        res.appendHeader('set-cookie', APP_COOKIE)
        res.writeHead(200, { 'content-type': 'text/plain' }).end(name)
      }
      return listen(createServer(withNodeMiddleware(core, handler)).listen(0, '127.0.0.1'))
    },
  },
]

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** A raw HTTP request to 127.0.0.1:port, with exactly the headers given (Host included). */
function send(port: number, path: string, headers: Record<string, string>, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers: { host: `forum.acme.localhost:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

let hub: TestHub
let aliceToken: string
let deadHubPort: number
const running: Running[] = []

before(async () => {
  hub = await startTestHub({ sites: [{ name: 'forum', origin: FORUM, member: false }] })
  const jar = new CookieJar()
  assert.equal((await loginOverHttp(hub, jar, ALICE)).status, 303)
  aliceToken = jar.get(TOKEN_COOKIE)!
  assert.ok(aliceToken)
  deadHubPort = await closedPort()
})

after(async () => {
  await Promise.all(running.map((r) => r.close().catch(() => {})))
  await hub?.close()
})

function tokenConsumer(keysUrl = `${hub.url}/.well-known/jwks.json`): Core {
  return createTokenConsumer({ hub: hub.origin, origin: FORUM, audience: AUDIENCE, keys: createJwksClient({ url: keysUrl, timeoutMs: 1000 }), revocationUrl: `${hub.url}/forward-auth` })
}

/** A core that lets alice in and asks for two cookies to be set on the app's response. */
const cookieCore: Core = {
  property: 'auth',
  origin: FORUM,
  handle: async (_request, sink) => {
    sink!.setCookie('ss-a=1; Path=/; HttpOnly; SameSite=Lax')
    sink!.setCookie('ss-b=2; Path=/; HttpOnly; SameSite=Lax')
    return { value: { claims: null, user: { username: 'alice' } } }
  },
}

function throwingCore(err: unknown): Core {
  return {
    property: 'auth',
    origin: FORUM,
    handle: async () => {
      throw err
    },
  }
}

/** Silence (and record) what the adapters log for 5xx answers. */
function captureErrors(t: TestContext): () => string {
  const errors = t.mock.method(console, 'error', () => {})
  return () => errors.mock.calls.map((call) => call.arguments.join(' ')).join('\n')
}

/** The cookies of a browser holding `token`, already confirmed with the hub (its binding cookie names the token's session). */
function cookie(token: string): Record<string, string> {
  return { cookie: `theme=dark; ${TOKEN_COOKIE}=${token}; ${BOUND_COOKIE}=${sidDigest(payloadOf(token).sid as string)}.-` }
}

const refreshFor = (path: string): string => `${hub.origin}/refresh?return=${encodeURIComponent(FORUM + path)}`

for (const adapter of ADAPTERS) {
  describe(`adapter: ${adapter.name}`, () => {
    let app: Running
    const start = async (core: Core): Promise<Running> => {
      const started = await adapter.start(core)
      running.push(started)
      return started
    }

    before(async () => {
      app = await start(tokenConsumer())
    })

    it("alice's token: 200 'alice' on the page and on the API", async () => {
      const page = await send(app.port, '/', { ...NAVIGATE, ...cookie(aliceToken) })
      assert.equal(page.status, 200)
      assert.equal(page.body, 'alice')
      const api = await send(app.port, '/api', { ...FETCH, ...cookie(aliceToken) })
      assert.equal(api.status, 200)
      assert.deepEqual(JSON.parse(api.body), { user: 'alice' })
    })

    it('no token on a navigation: 302 to the hub\'s refresh with the full return URL, the app is not run', async () => {
      const page = await send(app.port, '/?tab=latest', NAVIGATE)
      assert.equal(page.status, 302)
      assert.equal(page.headers.location, refreshFor('/?tab=latest'))
      assert.equal(page.headers['cache-control'], 'no-store')
      const cookies = [page.headers['set-cookie'] ?? []].flat()
      assert.deepEqual(cookies.map((c) => c.split('=')[0]), ['ss-token-bounce'], 'only the loop guard: the app did not run (it would have set its cookie)')
      const api = await send(app.port, '/api?page=3', NAVIGATE)
      assert.equal(api.status, 302)
      assert.equal(api.headers.location, refreshFor('/api?page=3'))
      // Back from the hub still without a token: never a second bounce (no loop).
      const again = await send(app.port, '/?tab=latest', { ...NAVIGATE, cookie: 'ss-token-bounce=1' })
      assert.equal(again.status, 401)
    })

    it('no token from fetch(): 401 JSON ERR_NOT_AUTHENTICATED, no redirect', async () => {
      for (const path of ['/', '/api']) {
        const answer = await send(app.port, path, FETCH)
        assert.equal(answer.status, 401, path)
        assert.equal(answer.headers.location, undefined)
        assert.match(String(answer.headers['content-type']), /^application\/json/)
        assert.deepEqual(JSON.parse(answer.body), { error: 'ERR_NOT_AUTHENTICATED' })
      }
      const post = await send(app.port, '/api', NAVIGATE, 'POST')
      assert.equal(post.status, 401, 'a POST is never redirected')
      assert.equal(post.headers.location, undefined)
    })

    it('a forged Host (and X-Forwarded-*) never reaches the return URL: it is built on the configured origin', async () => {
      const answer = await send(app.port, '/t/7?x=1', { ...NAVIGATE, host: 'evil.localhost', 'x-forwarded-host': 'evil.localhost', 'x-forwarded-proto': 'https' })
      assert.equal(answer.status, 302)
      assert.equal(answer.headers.location, refreshFor('/t/7?x=1'))
      assert.equal(new URL(new URL(answer.headers.location!).searchParams.get('return')!).origin, FORUM)
    })

    it("the core's sink cookies reach the client alongside the app's own response and cookie", async () => {
      const withCookies = await start(cookieCore)
      const page = await send(withCookies.port, '/', NAVIGATE)
      assert.equal(page.status, 200)
      assert.equal(page.body, 'alice')
      const cookies = page.headers['set-cookie'] ?? []
      assert.ok(cookies.some((c) => c.startsWith('ss-a=1;')), `ss-a missing from ${JSON.stringify(cookies)}`)
      assert.ok(cookies.some((c) => c.startsWith('ss-b=2;')), `ss-b missing from ${JSON.stringify(cookies)}`)
      assert.ok(cookies.some((c) => c.startsWith('app-pref=compact;')), `the app's own cookie was lost: ${JSON.stringify(cookies)}`)
      const api = await send(withCookies.port, '/api', FETCH)
      assert.deepEqual(JSON.parse(api.body), { user: 'alice' })
      assert.equal(api.headers['set-cookie']?.length, 2)
    })

    it("the core's sink cookies also reach the client on the app's own redirect", async () => {
      const withCookies = await start(cookieCore)
      const moved = await send(withCookies.port, '/moved', NAVIGATE)
      assert.equal(moved.status, 302)
      assert.equal(moved.headers.location, MOVED)
      const cookies = moved.headers['set-cookie'] ?? []
      assert.deepEqual(cookies.map((c) => c.split('=')[0]).sort(), ['ss-a', 'ss-b'], JSON.stringify(cookies))
    })

    it('a core failing with ERR_STORE_UNAVAILABLE: 503 with that code, logged, and the process keeps serving', async (t) => {
      const logged = captureErrors(t)
      const failing = await start(throwingCore(new SharedSessionError('ERR_STORE_UNAVAILABLE', 'redis is down')))
      for (const [path, headers] of [['/', NAVIGATE], ['/api', FETCH], ['/api', FETCH]] as const) {
        const answer = await send(failing.port, path, headers)
        assert.equal(answer.status, 503, path)
        assert.equal(codeOf(answer, headers === NAVIGATE), 'ERR_STORE_UNAVAILABLE')
        assert.equal(answer.headers['retry-after'], '1')
        assert.equal(answer.headers['cache-control'], 'no-store')
        assert.equal(answer.headers['set-cookie'], undefined, 'never a changed session on a 503')
      }
      assert.match(logged(), /ERR_STORE_UNAVAILABLE/)
      // Still alive: the same process answers the next request normally.
      assert.equal((await send(app.port, '/', { ...NAVIGATE, ...cookie(aliceToken) })).body, 'alice')
    })

    it('a core failing with an unexpected error: 500 without details, process alive', async (t) => {
      const logged = captureErrors(t)
      const failing = await start(throwingCore(new TypeError('secret internals at /srv/app.js:12')))
      const answer = await send(failing.port, '/api', FETCH)
      assert.equal(answer.status, 500)
      assert.deepEqual(JSON.parse(answer.body), { error: 'ERR_INTERNAL', message: 'internal error' })
      assert.doesNotMatch(answer.body, /secret internals/)
      assert.match(logged(), /secret internals/)
      assert.equal((await send(failing.port, '/api', FETCH)).status, 500)
    })

    it('a core that throws synchronously (breaking its contract) is still a clean 500, never a crash', async (t) => {
      captureErrors(t)
      const broken = await start({
        property: 'auth',
        origin: FORUM,
        handle: () => {
          throw new SharedSessionError('ERR_STORE_UNAVAILABLE', 'thrown, not rejected')
        },
      })
      const answer = await send(broken.port, '/api', FETCH)
      assert.equal(answer.status, 503)
      assert.equal(JSON.parse(answer.body).error, 'ERR_STORE_UNAVAILABLE')
      assert.equal((await send(broken.port, '/api', FETCH)).status, 503)
    })

    it('the hub down with no cached keys: 503 ERR_JWKS_UNAVAILABLE for a token holder, never a crash; guests still bounce', async (t) => {
      const logged = captureErrors(t)
      const orphan = await start(tokenConsumer(`http://127.0.0.1:${deadHubPort}/.well-known/jwks.json`))
      for (const [path, headers] of [['/', NAVIGATE], ['/api', FETCH]] as const) {
        const answer = await send(orphan.port, path, { ...headers, ...cookie(aliceToken) })
        assert.equal(answer.status, 503, path)
        assert.equal(codeOf(answer, headers === NAVIGATE), 'ERR_JWKS_UNAVAILABLE')
      }
      assert.match(logged(), /ERR_JWKS_UNAVAILABLE/)
      const guest = await send(orphan.port, '/', NAVIGATE)
      assert.equal(guest.status, 302)
    })
  })
}

/** The error code of an answer: a page for a person's navigation (HTML naming the code), JSON for a program. */
function codeOf(answer: { body: string; headers: Record<string, unknown> }, navigation: boolean): string | undefined {
  if (navigation) {
    assert.match(String(answer.headers['content-type']), /text\/html/, 'a person gets a page')
    return answer.body.match(/ERR_[A-Z_]+/)?.[0]
  }
  return (JSON.parse(answer.body) as { error?: string }).error
}
