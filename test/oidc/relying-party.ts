import { randomBytes } from 'node:crypto'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import * as client from 'openid-client'
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'
import { escapeHtml } from '../../src/lib/html.js'

/** What a relying party received on its back-channel logout endpoint, after verifying it. */
export interface ReceivedLogout {
  claims: JWTPayload & { sid?: string; events?: Record<string, unknown> }
  header: { alg?: string; typ?: string; kid?: string }
  /** How many of the RP's own sessions the token ended. */
  ended: number
}

/** A relying party built on openid-client 6, the way an app would: code + PKCE + state + nonce. */
export interface RelyingParty {
  origin: string
  clientId: string
  config: client.Configuration
  /** Verified logout tokens, in arrival order. */
  logouts: ReceivedLogout[]
  /** Logout tokens that failed verification, with the reason. */
  rejected: string[]
  /** Tokens of the last sign-in. */
  last: { tokens?: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers; claims?: client.IDToken }
  /** Resolve when the next verified logout token arrives. */
  nextLogout(): Promise<ReceivedLogout>
}

/**
 * Serve a relying party on `server` at `origin` (a *.localhost name for the
 * browser). Node cannot resolve *.localhost, so server-to-server calls to the
 * hub are sent to `hubUrl` (the same server by IP) through openid-client's
 * customFetch; the issuer stays the hub's public origin.
 */
export async function startRelyingParty(p: {
  server: Server
  origin: string
  hubOrigin: string
  hubUrl: string
  clientId: string
  clientSecret?: string
  scope?: string
}): Promise<RelyingParty> {
  const rewrite: typeof fetch = (url, init) => fetch(String(url).replace(p.hubOrigin, p.hubUrl), init)
  const auth = p.clientSecret ? client.ClientSecretBasic(p.clientSecret) : client.None()
  const config = await client.discovery(new URL(p.hubOrigin), p.clientId, undefined, auth, {
    execute: [client.allowInsecureRequests],
    [client.customFetch]: rewrite as never,
  })
  config[client.customFetch] = rewrite as never
  const jwks = createRemoteJWKSet(new URL(`${p.hubUrl}/.well-known/jwks.json`))
  const sessions = new Map<string, { user?: client.IDToken; idToken?: string; pending?: { verifier: string; state: string; nonce: string } }>()
  const waiting: ((l: ReceivedLogout) => void)[] = []
  const rp: RelyingParty = {
    origin: p.origin,
    clientId: p.clientId,
    config,
    logouts: [],
    rejected: [],
    last: {},
    nextLogout: () => new Promise((resolve) => waiting.push(resolve)),
  }
  const redirectUri = `${p.origin}/cb`

  p.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch((err: Error) => {
      res.writeHead(500, { 'content-type': 'text/html' }).end(`<p data-testid="rp-error">${escapeHtml(err.message)}</p>`)
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', p.origin)
    const sid = /(?:^|;\s*)rp=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1]
    const own = sid ? sessions.get(sid) : undefined
    if (url.pathname === '/' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(`<!doctype html><title>RP ${p.clientId}</title>
<p>Signed in: <span data-testid="rp-user">${escapeHtml(String(own?.user?.preferred_username ?? 'anonymous'))}</span></p>
<a data-testid="rp-login" href="/login">Sign in with the hub</a> <a data-testid="rp-logout" href="/logout">Sign out</a>`)
      return
    }
    if (url.pathname === '/login') {
      const verifier = client.randomPKCECodeVerifier()
      const pending = { verifier, state: client.randomState(), nonce: client.randomNonce() }
      const id = randomBytes(16).toString('base64url')
      sessions.set(id, { pending })
      const to = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: p.scope ?? 'openid profile email',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
        ...(url.searchParams.get('prompt') ? { prompt: url.searchParams.get('prompt')! } : {}),
      })
      res.writeHead(303, { location: to.href, 'set-cookie': `rp=${id}; Path=/; HttpOnly; SameSite=Lax` }).end()
      return
    }
    if (url.pathname === '/cb') {
      if (!own?.pending) throw new Error('no sign-in in progress')
      const tokens = await client.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: own.pending.verifier,
        expectedState: own.pending.state,
        expectedNonce: own.pending.nonce,
        idTokenExpected: true,
      })
      rp.last = { tokens, claims: tokens.claims() }
      sessions.set(sid!, { user: tokens.claims(), idToken: tokens.id_token! })
      res.writeHead(303, { location: '/' }).end()
      return
    }
    if (url.pathname === '/logout') {
      const hint = own?.idToken
      if (sid) sessions.delete(sid)
      const to = client.buildEndSessionUrl(config, { post_logout_redirect_uri: `${p.origin}/`, ...(hint ? { id_token_hint: hint } : {}) })
      res.writeHead(303, { location: to.href }).end()
      return
    }
    if (url.pathname === '/backchannel-logout' && req.method === 'POST') {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      const token = new URLSearchParams(Buffer.concat(chunks).toString()).get('logout_token') ?? ''
      try {
        const { payload, protectedHeader } = await jwtVerify(token, jwks, {
          issuer: config.serverMetadata().issuer,
          audience: p.clientId,
          typ: 'logout+jwt',
          algorithms: config.serverMetadata().id_token_signing_alg_values_supported as string[],
          requiredClaims: ['iat', 'jti', 'sub', 'sid', 'events'],
        })
        const events = payload.events as Record<string, unknown> | undefined
        if (!events || typeof events['http://schemas.openid.net/event/backchannel-logout'] !== 'object') throw new Error('no back-channel logout event')
        if ('nonce' in payload) throw new Error('a logout token must not carry a nonce')
        let ended = 0
        for (const [id, s] of sessions) {
          if (s.user?.sid === payload.sid && s.user?.sub === payload.sub) {
            sessions.delete(id)
            ended++
          }
        }
        const received: ReceivedLogout = { claims: payload as ReceivedLogout['claims'], header: protectedHeader, ended }
        rp.logouts.push(received)
        for (const w of waiting.splice(0)) w(received)
        res.writeHead(200, { 'cache-control': 'no-store' }).end()
      } catch (err) {
        rp.rejected.push((err as Error).message)
        res.writeHead(400).end()
      }
      return
    }
    res.writeHead(404).end()
  }
  return rp
}
