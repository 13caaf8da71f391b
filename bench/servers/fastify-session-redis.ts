// Fastify + @fastify/session on Redis (connect-redis's store, which @fastify/session accepts), same handler.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import { RedisStore } from 'connect-redis'
import Fastify from 'fastify'
import { createClient } from 'redis'
import { PORT, PREFIX, REDIS_URL } from './common.js'

const client = createClient({ url: REDIS_URL })
await client.connect()
const app = Fastify()
await app.register(fastifyCookie)
await app.register(fastifySession, {
  secret: 'bench-secret-bench-secret-bench-secret',
  cookie: { secure: false },
  saveUninitialized: false,
  store: new RedisStore({ client, prefix: PREFIX }) as never,
})
app.get('/', async (request) => {
  const s = request.session as unknown as { get(k: string): unknown; set(k: string, v: unknown): void }
  s.set('n', ((s.get('n') as number | undefined) ?? 0) + 1)
  return 'ok'
})
await app.listen({ port: PORT, host: '127.0.0.1' })
process.stdout.write('READY {}\n')
