import { request as httpRequest } from 'node:http'
/**
 * A minimal cookie jar for HTTP-level tests: name → value, honouring
 * deletions (Max-Age=0). Domains are ignored: each test keeps one jar per
 * browser it pretends to be.
 */
export class CookieJar {
  readonly cookies = new Map<string, string>()

  /** Take every Set-Cookie of a response. */
  take(response: Response): this {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      const deleted = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === ''
      if (deleted) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return this
  }

  /** The Cookie request header for everything in the jar. */
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  get(name: string): string | undefined {
    return this.cookies.get(name)
  }
}

/** The value of a hidden form field in an HTML page. */
export function formField(html: string, name: string): string {
  const match = html.match(new RegExp(`name="${name}" value="([^"]*)"`))
  if (!match) throw new Error(`no field ${name} in page`)
  return match[1]!.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c)))
}

/**
 * Log in through the hub's real form over HTTP (GET the form, POST it back
 * with the CSRF token from the same browser). Returns the POST response.
 */
export async function loginOverHttp(
  hub: { url: string; origin: string },
  jar: CookieJar,
  credentials: { username: string; password: string; return?: string },
  headers: Record<string, string> = {},
): Promise<Response> {
  const page = await fetch(`${hub.url}/login`, { headers: { cookie: jar.header() } })
  jar.take(page)
  const csrf = formField(await page.text(), 'csrf')
  const body = new URLSearchParams({ csrf, username: credentials.username, password: credentials.password })
  if (credentials.return) body.set('return', credentials.return)
  const response = await fetch(`${hub.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: hub.origin, cookie: jar.header(), ...headers },
    body,
  })
  jar.take(response)
  return response
}

/** Log out at the hub as the browser holding `jar` would, from the hub's own page (the jar is left as it was). */
export async function logoutOverHttp(hub: { url: string; origin: string }, jar: CookieJar): Promise<Response> {
  const response = await fetch(`${hub.url}/logout`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: hub.origin, cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
  })
  return response
}

/**
 * A GET over node:http, answered as a Fetch `Response` (redirects not
 * followed). Node's own fetch always sends `Sec-Fetch-Mode: cors`, so a
 * browser's top-level navigation can only be imitated this way.
 */
export function httpGet(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const out = new Headers()
        for (const [name, value] of Object.entries(res.headers)) for (const v of [value ?? []].flat()) out.append(name, v)
        const status = res.statusCode ?? 0
        resolve(new Response([101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers: out }))
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** The headers of a browser's top-level navigation. */
export const NAVIGATION_HEADERS: Readonly<Record<string, string>> = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', accept: 'text/html' }
