import { SharedSessionError } from '../errors/shared-session-error.js'
import { decodeBase64url } from '../lib/base64url.js'

/** Fewer distinct byte values than this in 32+ bytes means the secret is not random. */
const MIN_DISTINCT_BYTES = 12

/**
 * Validate a master secret and return its bytes. Refuses anything weaker
 * than 256 bits and obvious non-random values, with a message that says
 * how to make a good one.
 *
 * @example
 * ```ts
 * const bytes = parseMasterSecret(process.env.SHARED_SESSION_SECRET!)
 * ```
 */
export function parseMasterSecret(secret: unknown, field = 'secret'): Buffer {
  const hint = 'generate one with `npx shared-session init` or generateSecret()'
  if (typeof secret !== 'string') throw new SharedSessionError('ERR_KEY_WEAK', `${field} must be a base64url string; ${hint}`, { detail: field })
  const bytes = decodeBase64url(secret)
  if (!bytes) throw new SharedSessionError('ERR_KEY_WEAK', `${field} is not base64url; ${hint}`, { detail: field })
  if (bytes.length < 32) {
    throw new SharedSessionError('ERR_KEY_WEAK', `${field} has ${bytes.length * 8} bits; at least 256 are required; ${hint}`, { detail: field })
  }
  if (new Set(bytes).size < MIN_DISTINCT_BYTES) {
    throw new SharedSessionError('ERR_KEY_WEAK', `${field} does not look random; ${hint}`, { detail: field })
  }
  return bytes
}
