import { createHash, randomBytes } from 'node:crypto'
import type { TestHub } from '../helpers/hub.js'
import type { Agent } from './agent.js'

/** A PKCE pair (S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

/** The authorization URL of the hub for these parameters (nothing added behind the caller's back). */
export function authorizeUrl(hub: TestHub, params: Record<string, string>): string {
  return `${hub.origin}/oidc/auth?${new URLSearchParams(params)}`
}

/** Run an authorization in the agent and return where it ended: the redirect back to the app (parsed) or the last page. */
export async function authorize(hub: TestHub, a: Agent, params: Record<string, string>, redirectUri: string) {
  const end = await a.follow(authorizeUrl(hub, params), redirectUri)
  const back = end.response === null ? new URL(end.url) : null
  return { back, code: back?.searchParams.get('code') ?? null, error: back?.searchParams.get('error') ?? null, page: end.response, trail: end.trail }
}

/** POST to the token endpoint (by IP), form-encoded, with optional Basic client authentication. */
export async function tokenRequest(hub: TestHub, form: Record<string, string>, basic?: { id: string; secret: string }, address?: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`
  if (address) headers['x-forwarded-for'] = address
  const response = await fetch(`${hub.url}/oidc/token`, { method: 'POST', headers, body: new URLSearchParams(form).toString() })
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown>, headers: response.headers }
}
