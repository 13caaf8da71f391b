/**
 * shared-session: one login and one session shared by many web apps.
 *
 * The root export is the runtime-agnostic core: errors, keys, login
 * tokens, handoff payloads and session operations. Stores are subpath
 * exports (`shared-session/stores/memory`, `…/sqlite`, `…/redis`) so an app
 * loads only the driver it uses.
 *
 * @example
 * ```ts
 * import { generateKeysConfig, loadKeyRing, createSession, linkSite, resolveCookie, sessionPolicy } from 'shared-session'
 * import { createSqliteStore } from 'shared-session/stores/sqlite'
 *
 * const ring = await loadKeyRing(await generateKeysConfig())
 * const store = createSqliteStore({ path: 'sessions.sqlite' })
 * const session = await createSession(store, sessionPolicy())
 * const cookieValue = await linkSite(store, session, 'shop')
 * ```
 * @packageDocumentation
 */
export { ERROR_STATUS, type ErrorCode } from './errors/codes.js'
export { SharedSessionError, isSharedSessionError } from './errors/shared-session-error.js'

export { SIGNING_ALGORITHMS, isMemberKeysConfig, type HandoffKeyConfig, type KeysConfig, type MemberKeysConfig, type SigningAlgorithm, type SigningJwk } from './keys/config.js'
export { deriveKey, type KeyPurpose } from './keys/derive.js'
export { generateKeysConfig, generateSecret, generateSigningKey } from './keys/generate.js'
export { parseMasterSecret } from './keys/secret.js'
export { loadKeyRing, type HandoffKey, type Jwks, type KeyRing } from './keys/key-ring.js'
export { DEFAULT_OVERLAP_SECONDS, rotateSecret, rotateSigningKeys } from './keys/rotate.js'
export { watchKeyRing, type KeyRingWatcher } from './keys/watch.js'
export { importVerificationKey, importVerificationKeys, type VerificationKey, type VerificationKeys } from './keys/verification-keys.js'

export { LOGIN_TOKEN_TYPE, type LoginClaims } from './tokens/claims.js'
export { signLoginToken, type SignLoginTokenOptions } from './tokens/sign.js'
export { verifyLoginToken, type VerifyLoginTokenOptions } from './tokens/verify.js'
export { createTokenVerifier, type TokenVerifierOptions } from './tokens/verifier.js'

export { SITE_NAME, type HandoffPayload } from './handoff/payload.js'
export { HANDOFF_VERSION, sealHandoff, type SealHandoffOptions } from './handoff/seal.js'
export { openHandoff, type OpenHandoffOptions } from './handoff/open.js'
export { redeemHandoff } from './handoff/redeem.js'

export { hashCookieValue, isWellFormedId, newId } from './sessions/ids.js'
export { sessionPolicy, type SessionPolicy } from './sessions/policy.js'
export { fromRecord, toPatch, type GlobalSession } from './sessions/session.js'
export { createSession } from './sessions/create.js'
export { linkSite } from './sessions/link.js'
export { resolveCookie } from './sessions/resolve.js'
export { patchSession } from './sessions/patch.js'
export { touchSession } from './sessions/touch.js'
export { rotateSession } from './sessions/rotate.js'
export { destroySession, destroyUserSessions, endSession, unlinkSite } from './sessions/destroy.js'
export { listUserSessions } from './sessions/list.js'

export { hashPassword, verifyPassword } from './users/password.js'
export { USERNAME, type UserDirectory, type UserRecord } from './users/directory.js'
export { tokenCookieName } from './tokens/cookie-name.js'
export { assertNotRevoked, storeRevocationCheck, type RevocationCheck } from './tokens/revocation.js'
export { userHeaders } from './tokens/user-headers.js'
export { safeReturnUrl } from './http/return-url.js'
export { validateSites, parseOrigin, type SiteConfig } from './sites/config.js'
export type { DataPatch, LinkRecord, SessionRecord, SessionStore, SessionUser, StoreCounts } from './stores/store.js'
