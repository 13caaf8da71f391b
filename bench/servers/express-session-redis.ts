// Case 2: express + express-session + connect-redis (node-redis 5), what most Node users run today.
import { createServer } from 'node:http'
import { RedisStore } from 'connect-redis'
import express from 'express'
import session from 'express-session'
import { createClient } from 'redis'
import { PREFIX, ready, REDIS_URL } from './common.js'

const client = createClient({ url: REDIS_URL })
await client.connect()
const app = express()
app.use(session({ store: new RedisStore({ client, prefix: PREFIX }), secret: 'bench-secret-bench-secret-bench-secret', resave: false, saveUninitialized: false }))
app.get('/', (req, res) => {
  const s = req.session as unknown as { n?: number }
  s.n = (s.n ?? 0) + 1
  res.end('ok')
})
ready(createServer(app))
