import { SharedSessionError } from '../errors/shared-session-error.js'
import type { SessionStore } from '../stores/store.js'
import type { LoginClaims } from './claims.js'

/**
 * Decides whether the session a token stands for still lives. Verifiers
 * that can reach the store (or the hub) use one to reject a token of a
 * logged-out session before its `exp`. It gets the verified claims and the
 * token itself (to show the hub, as `hubRevocationCheck` does).
 *
 * @example
 * ```ts
 * const isLive: RevocationCheck = async (claims) => (await fetchHubStatus(claims)).ok
 * ```
 */
export type RevocationCheck = (claims: LoginClaims, now: number, token?: string) => Promise<boolean>

/**
 * A {@link RevocationCheck} against the session store: the global session
 * `sid` must exist and belong to the token's `sub`.
 *
 * @example
 * ```ts
 * const isLive = storeRevocationCheck(store)
 * ```
 */
export function storeRevocationCheck(store: SessionStore): RevocationCheck {
  return async (claims, now) => (await store.getSession(claims.sid, now))?.user?.sub === claims.sub
}

/**
 * Throw ERR_TOKEN_REVOKED unless the token's session is still live.
 *
 * @example
 * ```ts
 * await assertNotRevoked(claims, isLive, Date.now())
 * ```
 */
export async function assertNotRevoked(claims: LoginClaims, isLive: RevocationCheck, now: number, token?: string): Promise<void> {
  if (!(await isLive(claims, now, token))) {
    throw new SharedSessionError('ERR_TOKEN_REVOKED', 'the session behind this token has ended (logged out)', { detail: 'sid' })
  }
}
