/**
 * What middleware needs of a request: method, absolute URL and headers.
 * A Fetch `Request` is one; Node adapters pass a light view of
 * `IncomingMessage` instead of building a full `Request` on every call.
 *
 * @example
 * ```ts
 * const head: RequestHead = new Request('https://forum.acme.com/t/1')
 * ```
 */
export interface RequestHead {
  method: string
  url: string
  headers: { get(name: string): string | null }
}

/**
 * A request with its body: what the hub's handlers need. A Fetch `Request`
 * is one; the Node adapter passes a light object instead (no `Headers`, no
 * `AbortSignal`), which matters on hot paths such as forward-auth.
 *
 * @example
 * ```ts
 * const form = new URLSearchParams(await request.text())
 * ```
 */
export interface RequestWithBody extends RequestHead {
  text(): Promise<string>
}

/**
 * True for a top-level GET navigation by a browser, the only request a
 * middleware may answer with a redirect through the hub: never a POST,
 * never `fetch()`/XHR, never a subresource, never a crawler (unless
 * `crawlers`: when the question is only what kind of request it is).
 *
 * @example
 * ```ts
 * if (isTopLevelNavigation(request)) return redirect(loginUrl)
 * ```
 */
export function isTopLevelNavigation(request: RequestHead, options: { crawlers?: boolean } = {}): boolean {
  if (request.method !== 'GET') return false
  const h = request.headers
  const mode = h.get('sec-fetch-mode')
  if (mode !== null) {
    if (mode !== 'navigate') return false
    const dest = h.get('sec-fetch-dest')
    if (dest !== null && dest !== 'document') return false
  } else if (!(h.get('accept') ?? '').includes('text/html')) {
    return false
  }
  return options.crawlers === true || !CRAWLER.test(h.get('user-agent') ?? '')
}

const CRAWLER = /bot|crawl|spider|slurp|preview|facebookexternalhit|headless-?check|curl|wget|python-requests|httpclient/i
