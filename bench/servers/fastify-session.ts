// Case 3: fastify + @fastify/session (its default memory store), same handler.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify from 'fastify'
import { PORT } from './common.js'

const app = Fastify()
await app.register(fastifyCookie)
await app.register(fastifySession, { secret: 'bench-secret-bench-secret-bench-secret', cookie: { secure: false }, saveUninitialized: false })
app.get('/', async (request) => {
  const s = request.session as unknown as { get(k: string): unknown; set(k: string, v: unknown): void }
  s.set('n', ((s.get('n') as number | undefined) ?? 0) + 1)
  return 'ok'
})
await app.listen({ port: PORT, host: '127.0.0.1' })
process.stdout.write('READY {}\n')
