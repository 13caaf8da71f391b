// Bare Hono 4 on @hono/node-server: the baseline Hono cases are compared with.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { PORT } from './common.js'

const app = new Hono()
app.get('/', (c) => c.text('ok'))
serve({ fetch: app.fetch, port: PORT, hostname: '127.0.0.1' }, () => process.stdout.write('READY {}\n'))
