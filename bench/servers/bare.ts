// Case 1: bare node:http, the ceiling.
import { createServer } from 'node:http'
import { ready } from './common.js'

ready(createServer((_req, res) => res.end('ok')))
