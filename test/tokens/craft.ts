// Helpers for hand-crafting login tokens in tests: exact header and payload
// bytes, signed with whatever key an attacker (or a test) chooses.
import { createHmac } from 'node:crypto'
import { CompactSign, type CompactJWSHeaderParameters } from 'jose'
import { LOGIN_TOKEN_TYPE } from '../../src/tokens/claims.js'
import type { KeyRing } from '../../src/keys/key-ring.js'
import type { VerifyLoginTokenOptions } from '../../src/tokens/verify.js'

export const ISSUER = 'https://auth.acme.com'
export const AUDIENCE = 'acme.com'
/** A fixed clock (ms): 2027-01-15T12:00:00Z. */
export const NOW = Date.UTC(2027, 0, 15, 12, 0, 0)
export const NOW_S = NOW / 1000

/** Verify options matching {@link baseClaims}, at {@link NOW}. */
export const VERIFY: VerifyLoginTokenOptions = { issuer: ISSUER, audience: AUDIENCE, now: NOW }

/** A complete, valid claim set at {@link NOW}. */
export function baseClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'u_42',
    iat: NOW_S,
    exp: NOW_S + 900,
    jti: 'dGVzdC1qdGktMDAwMDAwMQ',
    sid: 'c2lkLXJlZmVyZW5jZQ',
    username: 'alice',
    ...overrides,
  }
}

/** The header the ring's signer would write. */
export function ringHeader(ring: KeyRing, overrides: Record<string, unknown> = {}): CompactJWSHeaderParameters {
  return { alg: ring.signer.alg, kid: ring.signer.kid, typ: LOGIN_TOKEN_TYPE, ...overrides } as CompactJWSHeaderParameters
}

/** Sign exact payload text (not re-serialised, so `1e309` stays `1e309`) with jose. */
export async function signRaw(
  key: CryptoKey | Uint8Array,
  header: CompactJWSHeaderParameters,
  payload: string | Record<string, unknown>,
): Promise<string> {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload)
  return new CompactSign(new TextEncoder().encode(text)).setProtectedHeader(header).sign(key)
}

/** Sign with the ring's own signing key: a token the hub could have issued. */
export function signWithRing(
  ring: KeyRing,
  payload: string | Record<string, unknown> = baseClaims(),
  headerOverrides: Record<string, unknown> = {},
): Promise<string> {
  return signRaw(ring.signer.key, ringHeader(ring, headerOverrides), payload)
}

export function b64u(value: string | Uint8Array): string {
  return Buffer.from(value).toString('base64url')
}

/** An HS256 token computed by hand with node:crypto, with any bytes as the HMAC secret. */
export function hmacToken(secret: Uint8Array | string, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

/** Replace one part (0 header, 1 payload, 2 signature) of a compact token. */
export function withPart(token: string, index: 0 | 1 | 2, value: string): string {
  const parts = token.split('.')
  parts[index] = value
  return parts.join('.')
}
