/** One benchmark case: a server file under servers/, its environment, and how to get its session. */
export interface BenchCase {
  id: string
  label: string
  server: string
  /** The framework it runs on: its bare case is the baseline for "CPU added over bare". */
  framework: Framework
  env?: Record<string, string>
  path?: string
  /** Make one request first and replay its Set-Cookie (frameworks that mint the session themselves). */
  cookieFromFirstResponse?: boolean
  /** Request headers every request of the case carries (a browser's navigation headers for the pull). */
  headers?: Record<string, string>
  /** It talks to Redis: the report also shows the Redis server's CPU per request. */
  redis?: boolean
}

export type Framework = 'node' | 'express' | 'fastify' | 'hono'

/** The id of each framework's bare case. */
export const BARE: Record<Framework, string> = { node: 'bare', express: 'bare-express', fastify: 'bare-fastify', hono: 'bare-hono' }

/** What a browser's top-level navigation carries: the pull answers nothing else. */
const NAVIGATION = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'sec-fetch-site': 'cross-site', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36' }

const member = (store: string, adapter: Framework) => ({ BENCH_STORE: store, BENCH_ADAPTER: adapter })

/** Every case of `npm run bench`, in the order of the table. */
export const CASES: BenchCase[] = [
  { id: 'bare', label: 'bare node:http (the ceiling)', server: 'bare.ts', framework: 'node' },
  { id: 'bare-express', label: 'bare Express', server: 'bare-express.ts', framework: 'express' },
  { id: 'bare-fastify', label: 'bare Fastify', server: 'bare-fastify.ts', framework: 'fastify' },
  { id: 'bare-hono', label: 'bare Hono (@hono/node-server)', server: 'bare-hono.ts', framework: 'hono' },
  { id: 'express-redis', label: 'Express + express-session + connect-redis', server: 'express-session-redis.ts', framework: 'express', cookieFromFirstResponse: true, redis: true },
  { id: 'fastify-session-redis', label: 'Fastify + @fastify/session + connect-redis store', server: 'fastify-session-redis.ts', framework: 'fastify', cookieFromFirstResponse: true, redis: true },
  { id: 'fastify-session', label: 'Fastify + @fastify/session (memory)', server: 'fastify-session.ts', framework: 'fastify', cookieFromFirstResponse: true },
  { id: 'member-memory', label: 'member, node:http, memory store', server: 'member.ts', framework: 'node', env: member('memory', 'node'), cookieFromFirstResponse: true },
  { id: 'member-sqlite', label: 'member, node:http, SQLite store', server: 'member.ts', framework: 'node', env: member('sqlite', 'node'), cookieFromFirstResponse: true },
  { id: 'member-redis', label: 'member, node:http, Redis store', server: 'member.ts', framework: 'node', env: member('redis', 'node'), cookieFromFirstResponse: true, redis: true },
  { id: 'member-postgres', label: 'member, node:http, PostgreSQL store', server: 'member.ts', framework: 'node', env: member('postgres', 'node'), cookieFromFirstResponse: true },
  { id: 'member-express-redis', label: 'member, Express adapter, Redis store', server: 'member.ts', framework: 'express', env: member('redis', 'express'), cookieFromFirstResponse: true, redis: true },
  { id: 'member-fastify-redis', label: 'member, Fastify adapter, Redis store', server: 'member.ts', framework: 'fastify', env: member('redis', 'fastify'), cookieFromFirstResponse: true, redis: true },
  { id: 'member-hono-redis', label: 'member, Hono adapter, Redis store', server: 'member.ts', framework: 'hono', env: member('redis', 'hono'), cookieFromFirstResponse: true, redis: true },
  { id: 'forward-auth', label: 'hub /forward-auth (EdDSA token, revocation checked)', server: 'token.ts', framework: 'node', env: { BENCH_MODE: 'forward-auth' }, path: '/forward-auth' },
  { id: 'consumer', label: 'node:http + token consumer (EdDSA)', server: 'token.ts', framework: 'node', env: { BENCH_MODE: 'consumer' } },
  { id: 'jose-eddsa', label: 'node:http + jose EdDSA verify per request (by hand)', server: 'token.ts', framework: 'node', env: { BENCH_MODE: 'jose-eddsa' } },
  { id: 'jose-hs256', label: 'node:http + jose HS256 verify per request (by hand)', server: 'token.ts', framework: 'node', env: { BENCH_MODE: 'jose-hs256' } },
  { id: 'push', label: 'member push endpoint, Redis (fresh payload each request)', server: 'handoff.ts', framework: 'node', env: { BENCH_MODE: 'push' }, redis: true },
  { id: 'pull', label: 'hub /pull endpoint, Redis', server: 'handoff.ts', framework: 'node', env: { BENCH_MODE: 'pull' }, path: '/pull?dst=shop&bind=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8&return=%2F', headers: NAVIGATION, redis: true },
]
