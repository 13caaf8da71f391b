// The shared-session member middleware (BENCH_ADAPTER: node:http, express, fastify or hono)
// on the memory, SQLite, Redis or PostgreSQL store (BENCH_STORE); the handler reads and writes one session value.
import { mkdtempSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { toExpress } from '../../src/adapters/express/index.js'
import { registerFastify } from '../../src/adapters/fastify/index.js'
import { toHono } from '../../src/adapters/hono/index.js'
import { withNodeMiddleware } from '../../src/adapters/node/index.js'
import { createMember } from '../../src/member/create-member.js'
import type { MemberSession } from '../../src/member/session-handle.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { createPostgresStore } from '../../src/stores/postgres/index.js'
import { createRedisStore } from '../../src/stores/redis/index.js'
import { createSqliteStore } from '../../src/stores/sqlite/index.js'
import type { SessionStore } from '../../src/stores/store.js'
import { POSTGRES_URL, PORT, PREFIX, ready, REDIS_URL, ring } from './common.js'

const kind = process.env.BENCH_STORE ?? 'memory'
const adapter = process.env.BENCH_ADAPTER ?? 'node'
const stores: Record<string, () => SessionStore> = {
  memory: () => createMemoryStore(),
  sqlite: () => createSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'bench-')), 's.sqlite') }),
  redis: () => createRedisStore({ url: REDIS_URL, prefix: PREFIX }),
  // A schema of this run's own (the runner drops it afterwards); the pool of 10 connections (its default).
  postgres: () => createPostgresStore({ url: POSTGRES_URL, schema: process.env.BENCH_PG_SCHEMA ?? `bench_${process.pid}` }),
}
const store = stores[kind]!()
const member = createMember({
  site: 'shop',
  sites: [{ name: 'shop', origin: `http://127.0.0.1:${PORT}` }],
  hub: 'http://127.0.0.1:1',
  keys: await ring(),
  store,
  // No hub runs in the bench: no start-up check to report it.
  selfCheck: false,
})
const handle = async (session: MemberSession) => {
  await session.set('n', ((session.get('n') as number | undefined) ?? 0) + 1)
  return 'ok'
}

if (adapter === 'fastify') {
  const app = Fastify()
  registerFastify(app, member)
  app.get('/', (request) => handle((request as unknown as { session: MemberSession }).session))
  await app.listen({ port: PORT, host: '127.0.0.1' })
  process.stdout.write('READY {}\n')
} else if (adapter === 'hono') {
  const app = new Hono<{ Variables: { session: MemberSession } }>()
  app.use(toHono(member))
  app.get('/', async (c) => c.text(await handle(c.get('session'))))
  serve({ fetch: app.fetch, port: PORT, hostname: '127.0.0.1' }, () => process.stdout.write('READY {}\n'))
} else if (adapter === 'express') {
  const app = express()
  app.use(toExpress(member))
  app.get('/', (req, res) => void handle((req as unknown as { session: MemberSession }).session).then((body) => res.end(body)))
  ready(createServer(app))
} else {
  ready(createServer(withNodeMiddleware(member, (req, res) => void handle((req as IncomingMessage & { session: MemberSession }).session).then((body) => res.end(body)))))
}
