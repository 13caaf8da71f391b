// Shared by the consumer tests: the member site's configuration, request
// heads a browser (or a script, or a crawler) would send, and a local user
// table keyed the way the design demands: by (iss, sub), never by e-mail.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LoginClaims } from '../../src/tokens/claims.js'
import type { RequestHead } from '../../src/http/request-head.js'
import { sidDigest } from '../../src/confirm/cookies.js'

/** The member app's public origin (never listened on: requests are handed to the core). */
export const FORUM = 'http://forum.acme.localhost:4001'
/** The hub's parent domain, the token audience every subdomain member accepts. */
export const AUDIENCE = 'acme.localhost'
/** Token cookie name on a secure (`*.localhost`) origin. */
export const TOKEN_COOKIE = 'ss-token'

/** A browser's top-level navigation (typing a URL, following a link). */
export const NAVIGATE = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'sec-fetch-site': 'same-site', accept: 'text/html' }
/** A page's `fetch()` to its own API. */
export const FETCH = { 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', 'sec-fetch-site': 'same-origin', accept: 'application/json' }

/** The binding cookie on {@link FORUM} (plain http) of a browser whose token the hub has confirmed. */
export const BOUND_COOKIE = 'ss-bound'

/**
 * A request head for the core: `path` on {@link FORUM}, the token (if any)
 * as the cookie a browser sends. Unless `bound` is false, the browser has
 * also confirmed that token with the hub (its binding cookie names the
 * token's session), as every browser has after its first visit.
 */
export function requestHead(path: string, headers: Record<string, string>, token?: string, method = 'GET', bound = true): RequestHead {
  const all = new Headers(headers)
  if (token !== undefined) {
    const sid = sidOf(token)
    const binding = bound && sid !== undefined ? `; ${BOUND_COOKIE}=${sidDigest(sid)}.-` : ''
    all.set('cookie', `theme=dark; ${TOKEN_COOKIE}=${token}${binding}`)
  }
  return { method, url: FORUM + path, headers: all }
}

function sidOf(token: string): string | undefined {
  try {
    const sid = payloadOf(token).sid
    return typeof sid === 'string' ? sid : undefined
  } catch {
    return undefined
  }
}

/** The app's own user record. */
export interface LocalUser {
  id: number
  username: string
  email: string | undefined
}

/**
 * An in-memory user table with a `findOrCreateUser` hook keyed by
 * (`iss`, `sub`). `created` counts inserts, so tests can tell "found" from "created".
 */
export function localUsers() {
  const byIdentity = new Map<string, LocalUser>()
  let created = 0
  return {
    byIdentity,
    get created() {
      return created
    },
    findOrCreateUser(claims: LoginClaims): LocalUser {
      const key = `${claims.iss}\n${claims.sub}`
      let user = byIdentity.get(key)
      if (!user) {
        created += 1
        user = { id: created, username: claims.username, email: claims.email }
        byIdentity.set(key, user)
      }
      return user
    },
  }
}

/** A port on 127.0.0.1 where nothing listens (a hub that is down). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** The decoded payload of a compact JWT (no verification: for building forgeries). */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>
}
