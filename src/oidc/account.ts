import type { Account, FindAccount } from 'oidc-provider'
import type { SessionUser } from '../stores/store.js'
import type { OidcStorage } from './storage.js'

/**
 * Remember the user as the hub's sign-in knew them, for the provider's
 * claims (ID token, userinfo). The user directory only authenticates; the
 * hub session's user is the one source of names, so each OIDC sign-in takes
 * a snapshot that lives as long as a refresh token can.
 *
 * @example
 * ```ts
 * await rememberAccount(storage, session.user, Date.now() + 14 * 86_400_000)
 * ```
 */
export function rememberAccount(storage: OidcStorage, user: SessionUser, expiresAt: number): Promise<void> {
  return storage.set(`account:${user.sub}`, user, expiresAt)
}

/**
 * oidc-provider's `findAccount`: `sub` is the hub's user id, the same `sub`
 * as the hub's own tokens; `preferred_username`, `name`, `email` by scope.
 *
 * @example
 * ```ts
 * new Provider(issuer, { findAccount: accountFinder(storage) })
 * ```
 */
export function accountFinder(storage: OidcStorage): FindAccount {
  return async (_ctx, sub): Promise<Account | undefined> => {
    const user = (await storage.get(`account:${sub}`)) as SessionUser | undefined
    if (!user || user.sub !== sub) return undefined
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          preferred_username: user.username,
          ...(user.name ? { name: user.name } : {}),
          ...(user.email ? { email: user.email } : {}),
        }
      },
    }
  }
}
