import { json } from '../http/respond.js'
import type { RequestWithBody } from '../http/request-head.js'
import { createRateLimiter } from '../hub/rate-limit.js'

/**
 * Brute force at the token endpoint: failed client authentications are
 * counted per client address (20 in 15 minutes) and per client id (100 in
 * 15 minutes; higher, so a stranger cannot lock a real app out easily).
 * Past either, the endpoint answers 429 before checking anything. Secrets
 * are 256 random bits compared in constant time, so the limit is a second
 * line, not the first.
 *
 * @example
 * ```ts
 * const guard = createTokenGuard(Date.now)
 * const refused = guard.check(request, body, address)
 * ```
 */
export function createTokenGuard(now: () => number) {
  const perAddress = createRateLimiter({ max: 20, windowMs: 15 * 60_000 }, now)
  const perClient = createRateLimiter({ max: 100, windowMs: 15 * 60_000 }, now)
  return {
    /** A 429 when this caller or this client id has failed too often, else null. */
    check(request: RequestWithBody, body: string, address: string): Response | null {
      const wait = Math.max(perAddress.blockedFor(address), perClient.blockedFor(clientIdOf(request, body)))
      if (wait <= 0) return null
      return json(
        { error: 'invalid_client', error_description: 'too many failed client authentications; try again later' },
        429,
        { 'retry-after': String(Math.ceil(wait / 1000)), 'x-error-code': 'ERR_RATE_LIMITED', 'cache-control': 'no-store' },
      )
    },
    /** Count a failed client authentication (401 invalid_client); forget the client's failures on success. */
    async record(request: RequestWithBody, body: string, address: string, response: Response): Promise<void> {
      const id = clientIdOf(request, body)
      if (response.status === 200) return perClient.reset(id)
      if (response.status !== 401) return
      const answer = (await response.clone().json().catch(() => ({}))) as { error?: string }
      if (answer.error !== 'invalid_client') return
      perAddress.fail(address)
      perClient.fail(id)
    },
  }
}

function clientIdOf(request: RequestWithBody, body: string): string {
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon > 0) {
      try {
        return `client:${decodeURIComponent(decoded.slice(0, colon))}`
      } catch {
        return 'client:?'
      }
    }
  }
  return `client:${new URLSearchParams(body).get('client_id') ?? '?'}`
}
