import assert from 'node:assert/strict'
import { CookieJar, loginOverHttp } from './http.js'

/**
 * One browser as HTTP-level tests of the parent-domain token see it: the
 * host-only cookies of the hub and of one app (a token consumer), and the
 * parent domain's (the token). Each `Set-Cookie` goes to the parent jar
 * when it names a `Domain`, else to the host that answered.
 */
export class SubdomainBrowser {
  readonly hub = new CookieJar()
  readonly app = new CookieJar()
  readonly parent = new CookieJar()

  /** Take the cookies of a response from `host` (this.hub or this.app). */
  take(host: CookieJar, response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const into = /;\s*domain=/i.test(line) ? this.parent : host
      into.take(new Response(null, { headers: [['set-cookie', line]] }))
    }
  }

  /** The Cookie header this browser sends to `host`: its host-only cookies and the parent domain's. */
  cookie(host: CookieJar): string {
    return [host.header(), this.parent.header()].filter(Boolean).join('; ')
  }
}

/** A browser that has signed `user` in at the hub's real form: the hub's cookies, and the token on the parent domain. */
export async function signedInBrowser(hub: { url: string; origin: string }, user: { username: string; password: string }, tokenCookie: string): Promise<SubdomainBrowser> {
  const browser = new SubdomainBrowser()
  const jar = new CookieJar()
  assert.equal((await loginOverHttp(hub, jar, user)).status, 303, `${user.username} signs in at the hub`)
  for (const [name, value] of jar.cookies) (name === tokenCookie ? browser.parent : browser.hub).cookies.set(name, value)
  return browser
}
