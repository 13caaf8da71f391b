// Bare Fastify 5: the baseline Fastify cases are compared with.
import Fastify from 'fastify'
import { PORT } from './common.js'

const app = Fastify()
app.get('/', async () => 'ok')
await app.listen({ port: PORT, host: '127.0.0.1' })
process.stdout.write('READY {}\n')
