import { SharedSessionError } from '../errors/shared-session-error.js'
import type { RevocationCheck } from './revocation.js'

/** Options of {@link hubRevocationCheck}. */
export interface HubRevocationOptions {
  /** The hub's forward-auth endpoint, e.g. `https://auth.acme.com/forward-auth` (an internal address is fine). */
  url: string
  /**
   * `auto` (default): a hub that cannot be asked is logged and the token's
   * signature is trusted until its `exp`; `required`: it is a 503
   * `ERR_HUB_UNAVAILABLE`.
   */
  mode?: 'auto' | 'required'
  /** How long an answer (and "the hub cannot be asked") is kept, in ms. Default 5000. */
  cacheMs?: number
  /** Per question, in ms. Default 3000. */
  timeoutMs?: number
  /** Answers kept at most. Default 10,000. */
  maxEntries?: number
  fetch?: typeof fetch
  log?: (message: string) => void
}

/**
 * A {@link RevocationCheck} for an app that cannot read the session store:
 * it shows the token to the hub's `/forward-auth` as a bearer token (no
 * binding cookie needed: a bearer header is not a cookie a sibling can
 * set) and keeps the answer `cacheMs`, so a sign-out reaches the app within
 * that time and a busy page costs the hub one question per token every few
 * seconds. The token consumer uses one by default.
 *
 * @example
 * ```ts
 * const revocation = hubRevocationCheck({ url: 'http://10.0.0.5:4000/forward-auth' })
 * createTokenConsumer({ hub, origin, audience, revocation })
 * ```
 */
export function hubRevocationCheck(options: HubRevocationOptions): RevocationCheck {
  const url = new URL(options.url).href
  const mode = options.mode ?? 'auto'
  const cacheMs = options.cacheMs ?? 5000
  const timeoutMs = options.timeoutMs ?? 3000
  const max = options.maxEntries ?? 10_000
  const doFetch = options.fetch ?? fetch
  const log = options.log ?? console.error
  const answers = new Map<string, { live: boolean; until: number }>()
  let downUntil = -Infinity

  const unreachable = (reason: string, now: number): boolean => {
    if (now >= downUntil) log(`shared-session: revocation not checked: ${reason}; tokens are trusted until their exp`)
    downUntil = now + cacheMs
    if (mode === 'required') throw new SharedSessionError('ERR_HUB_UNAVAILABLE', `the hub cannot be asked whether the session lives: ${reason}`, { detail: 'revocation' })
    return true
  }

  return async (_claims, now, token) => {
    // Nothing to show the hub (a caller with the claims only): the signature decides.
    if (token === undefined) return true
    const cached = answers.get(token)
    if (cached && cached.until > now) return cached.live
    if (now < downUntil) return unreachable('the hub could not be asked moments ago', now)
    let live: boolean
    try {
      const response = await doFetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' })
      await response.body?.cancel()
      if (response.status === 200) live = true
      else if (response.status === 401) live = false
      else return unreachable(`${url} answered ${response.status}`, now)
    } catch (err) {
      return unreachable(`cannot reach ${url}: ${(err as Error).message}`, now)
    }
    answers.delete(token)
    answers.set(token, { live, until: now + cacheMs })
    if (answers.size > max) answers.delete(answers.keys().next().value!)
    return live
  }
}
