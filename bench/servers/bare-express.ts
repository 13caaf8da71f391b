// Bare Express 5: the baseline Express cases are compared with.
import { createServer } from 'node:http'
import express from 'express'
import { ready } from './common.js'

const app = express()
app.get('/', (_req, res) => res.end('ok'))
ready(createServer(app))
