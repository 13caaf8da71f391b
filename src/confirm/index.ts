/**
 * Token confirmation: how an app that trusts only the parent-domain token
 * (a JWKS consumer, forward-auth, the Python package) tells the hub's token
 * from one a sibling host tossed. See `docs/security.md`, "Token-only apps
 * confirm the token with the hub".
 */
export { confirmCookies, sidDigest, type ConfirmCookies } from './cookies.js'
export { tokenStanding, bindingCookie, type TokenStanding } from './binding.js'
export { CONFIRMATION_TYPE, CONFIRMATION_PARAM, type ConfirmationClaims } from './claims.js'
export { signConfirmation, type SignConfirmationOptions } from './sign.js'
export { verifyConfirmation, type VerifyConfirmationOptions } from './verify.js'
export { startConfirmation, type StartConfirmationOptions } from './start.js'
export { finishConfirmation, type FinishConfirmationOptions } from './finish.js'
