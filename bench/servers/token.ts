// Case 6: the token verification path. BENCH_MODE=forward-auth: the hub's /forward-auth
// endpoint (verify + revocation check against its store); consumer: a node:http app behind
// createTokenConsumer; jose-eddsa / jose-hs256: what users write by hand, jose's jwtVerify per request.
import { createServer } from 'node:http'
import { jwtVerify, SignJWT } from 'jose'
import { toNodeListener } from '../../src/adapters/node/listener.js'
import { withNodeMiddleware } from '../../src/adapters/node/index.js'
import { confirmCookies, sidDigest } from '../../src/confirm/cookies.js'
import { createTokenConsumer } from '../../src/consumer/token-consumer.js'
import { createHub } from '../../src/hub/create-hub.js'
import { createSession } from '../../src/sessions/create.js'
import { sessionPolicy } from '../../src/sessions/policy.js'
import { createMemoryStore } from '../../src/stores/memory/index.js'
import { marksCookiesSecure } from '../../src/sites/site-cookies.js'
import { tokenCookieName } from '../../src/tokens/cookie-name.js'
import { signLoginToken } from '../../src/tokens/sign.js'
import { PORT, ready, ring } from './common.js'

const mode = process.env.BENCH_MODE ?? 'forward-auth'
const keys = await ring()
const origin = `http://auth.acme.localhost:${PORT}`
const store = createMemoryStore()
const user = { sub: 'u_bench', username: 'alice', email: 'alice@acme.localhost', name: 'Alice' }
const session = await createSession(store, sessionPolicy(), { user })
const token = await signLoginToken(keys, { issuer: origin, audience: 'acme.localhost', user, sid: session.id, ttlSeconds: 3600 })

if (mode === 'forward-auth') {
  const hub = createHub({ origin, parentDomain: 'acme.localhost', keys, store, users: { authenticate: async () => null } })
  ready(createServer(toNodeListener(hub.fetch, { origin })), { authorization: `Bearer ${token}` })
} else if (mode === 'consumer') {
  // No hub runs here to ask about revocation (the default asks it, once per token every 5 s): the signature path alone, like the jose rows.
  const consumer = createTokenConsumer({ hub: origin, origin: `http://forum.acme.localhost:${PORT}`, audience: 'acme.localhost', keys: keys.verification, revocation: false })
  const app = withNodeMiddleware(consumer, (req, res) => res.end((req as unknown as { auth: { claims: { username: string } } }).auth.claims.username))
  // The cookie name the hub gives its token on this (plain http) origin, and the binding of a browser that has confirmed it.
  const bound = `${confirmCookies(marksCookiesSecure(origin)).bound.name}=${sidDigest(session.id)}.-`
  ready(createServer(app), { cookie: `${tokenCookieName(marksCookiesSecure(origin))}=${token}; ${bound}` })
} else {
  const hs = new TextEncoder().encode('a-32-byte-shared-secret-for-hs256!!')
  const alg = mode === 'jose-hs256' ? 'HS256' : 'EdDSA'
  const verifyKey = alg === 'HS256' ? hs : keys.verification.get(keys.signer.kid)!.key
  const signed = alg === 'HS256' ? await new SignJWT({ username: 'alice' }).setProtectedHeader({ alg }).setSubject('u').setIssuedAt().setExpirationTime('1h').sign(hs) : token
  ready(
    createServer((req, res) => {
      const jwt = (req.headers.authorization ?? '').slice('Bearer '.length)
      jwtVerify(jwt, verifyKey, { algorithms: [alg] }).then(
        ({ payload }) => res.end(String(payload.username)),
        () => res.writeHead(401).end(),
      )
    }),
    { authorization: `Bearer ${signed}` },
  )
}
