/** Strict base64url (no padding) alphabet check; `Buffer.from(x, 'base64url')` alone accepts junk. */
const BASE64URL = /^[A-Za-z0-9_-]*$/

/** True when `value` is canonical unpadded base64url (re-encoding gives the same text). */
export function isBase64url(value: string): boolean {
  if (!BASE64URL.test(value) || value.length % 4 === 1) return false
  return Buffer.from(value, 'base64url').toString('base64url') === value
}

/** Decode canonical base64url, or return null: non-canonical encodings are a tampering signal. */
export function decodeBase64url(value: string): Buffer | null {
  return isBase64url(value) ? Buffer.from(value, 'base64url') : null
}
