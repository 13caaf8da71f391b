/** One benchmark case: a server file under servers/, its environment, and how to get its session. */
export interface BenchCase {
  id: string
  label: string
  server: string
  env?: Record<string, string>
  path?: string
  /** Make one request first and replay its Set-Cookie (frameworks that mint the session themselves). */
  cookieFromFirstResponse?: boolean
}

/** Every case of `npm run bench`, in the order of the table. */
export const CASES: BenchCase[] = [
  { id: 'bare', label: 'bare node:http (the ceiling)', server: 'bare.ts' },
  { id: 'express-redis', label: 'express + express-session + connect-redis', server: 'express-session-redis.ts', cookieFromFirstResponse: true },
  { id: 'fastify-session', label: 'fastify + @fastify/session (memory)', server: 'fastify-session.ts', cookieFromFirstResponse: true },
  { id: 'member-memory', label: 'shared-session member, node:http, memory store', server: 'member.ts', env: { BENCH_STORE: 'memory' }, cookieFromFirstResponse: true },
  { id: 'member-sqlite', label: 'shared-session member, node:http, SQLite store', server: 'member.ts', env: { BENCH_STORE: 'sqlite' }, cookieFromFirstResponse: true },
  { id: 'member-redis', label: 'shared-session member, node:http, Redis store', server: 'member.ts', env: { BENCH_STORE: 'redis' }, cookieFromFirstResponse: true },
  { id: 'member-express-redis', label: 'shared-session member, Express adapter, Redis', server: 'member.ts', env: { BENCH_STORE: 'redis', BENCH_ADAPTER: 'express' }, cookieFromFirstResponse: true },
  { id: 'member-fastify-redis', label: 'shared-session member, Fastify adapter, Redis', server: 'member.ts', env: { BENCH_STORE: 'redis', BENCH_ADAPTER: 'fastify' }, cookieFromFirstResponse: true },
  { id: 'forward-auth', label: 'token path: hub /forward-auth (EdDSA, revocation checked)', server: 'token.ts', env: { BENCH_MODE: 'forward-auth' }, path: '/forward-auth' },
  { id: 'consumer', label: 'token path: node:http + token consumer (EdDSA)', server: 'token.ts', env: { BENCH_MODE: 'consumer' } },
  { id: 'jose-eddsa', label: 'node:http + jose EdDSA verify per request (by hand)', server: 'token.ts', env: { BENCH_MODE: 'jose-eddsa' } },
  { id: 'jose-hs256', label: 'node:http + jose HS256 verify per request (by hand)', server: 'token.ts', env: { BENCH_MODE: 'jose-hs256' } },
  { id: 'push', label: 'push endpoint, Redis (fresh payload each request)', server: 'handoff.ts', env: { BENCH_MODE: 'push' } },
  { id: 'pull', label: 'hub pull endpoint, Redis', server: 'handoff.ts', env: { BENCH_MODE: 'pull' }, path: '/pull?dst=shop&bind=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8&return=%2F' },
]
