import { linkSite } from '../../src/sessions/link.js'
import { createSession } from '../../src/sessions/create.js'
import { HUB_SITE } from '../../src/hub/options.js'
import type { TestHub } from '../helpers/hub.js'

/**
 * A tiny browser for protocol tests: a cookie jar (names only; every cookie
 * is sent everywhere, which only makes attacks easier) and manual redirects.
 * URLs on the hub's public origin are sent to its IP address.
 */
export interface Agent {
  cookies: Map<string, string>
  get(url: string): Promise<Response>
  post(url: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Response>
  /** Follow redirects from `url` until one leaves for `stopAt` (returned, not fetched) or a non-redirect answer. */
  follow(url: string, stopAt: string): Promise<{ url: string; response: Response | null; trail: string[] }>
}

export function agent(hub: TestHub): Agent {
  const cookies = new Map<string, string>()
  const send = async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers)
    if (cookies.size > 0) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    headers.set('accept', 'text/html')
    const response = await fetch(url.replace(hub.origin, hub.url), { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      if (value === '' || /max-age=0|expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(name)
      else cookies.set(name, value)
    }
    return response
  }
  const self: Agent = {
    cookies,
    get: (url) => send(url),
    post: (url, form, headers = {}) => send(url, { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: hub.origin, ...headers } }),
    async follow(url, stopAt) {
      const trail: string[] = []
      let current = url
      for (let i = 0; i < 20; i++) {
        trail.push(current)
        if (current.startsWith(stopAt)) return { url: current, response: null, trail }
        const response = await self.get(current)
        const location = response.headers.get('location')
        if (response.status < 300 || response.status >= 400 || !location) return { url: current, response, trail }
        await response.body?.cancel()
        current = new URL(location, current).href
      }
      throw new Error(`redirect loop: ${trail.join(' → ')}`)
    },
  }
  return self
}

/** Sign the agent in at the hub the way a login does: a new user session, linked to the hub's cookie. */
export async function signInAtHub(hub: TestHub, a: Agent, user = { sub: 'u_alice', username: 'alice', email: 'alice@acme.example' }): Promise<string> {
  const ctx = hub.hub.context
  const session = await createSession(ctx.store, ctx.policy, { user })
  a.cookies.set(ctx.cookies.session.name, await linkSite(ctx.store, session, HUB_SITE, Date.now(), 'login'))
  return session.id
}
