/**
 * A response the library builds on its hot paths: status, header fields as
 * a plain object, `Set-Cookie` values and a string body, with no `Headers`,
 * no body stream and no undici object behind it. It is a Fetch `Response`
 * to anyone who reads it (`status`, `headers`, `text()`, `json()`, …): the
 * first such read builds the real `Response` once and delegates to it.
 * The Node, Express and Fastify adapters write an untouched one straight to
 * the socket; `hub.fetch` and the Hono adapter hand out the real one.
 *
 * @example
 * ```ts
 * const response = new LightResponse(200, { 'content-type': 'text/plain' }, 'ok')
 * await response.text() // 'ok'
 * ```
 */
export class LightResponse implements Response {
  readonly status: number
  /** Header fields by lower-case name, `Set-Cookie` excepted. */
  readonly fields: Record<string, string>
  /** `Set-Cookie` values, each its own header. */
  readonly cookies: readonly string[]
  /** The body, or null for none. */
  readonly payload: string | null
  #real: Response | null = null

  constructor(status: number, fields: Record<string, string>, payload: string | null = null, cookies: readonly string[] = []) {
    this.status = status
    this.fields = fields
    this.payload = payload
    this.cookies = cookies
  }

  /** True once something has read it as a Fetch `Response`: from then on the real one is the truth (its headers may have changed). */
  get materialized(): boolean {
    return this.#real !== null
  }

  /** The Fetch `Response`, built on first use. */
  toResponse(): Response {
    if (this.#real === null) {
      const headers = new Headers()
      for (const name in this.fields) headers.set(name, this.fields[name]!)
      for (const cookie of this.cookies) headers.append('set-cookie', cookie)
      this.#real = new Response(this.payload, { status: this.status, headers })
    }
    return this.#real
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300
  }
  get headers(): Headers {
    return this.toResponse().headers
  }
  get body(): Response['body'] {
    return this.toResponse().body
  }
  get bodyUsed(): boolean {
    return this.#real !== null && this.#real.bodyUsed
  }
  get statusText(): string {
    return this.toResponse().statusText
  }
  get type(): ResponseType {
    return this.toResponse().type
  }
  get url(): string {
    return this.toResponse().url
  }
  get redirected(): boolean {
    return false
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.toResponse().arrayBuffer()
  }
  bytes(): ReturnType<Response['bytes']> {
    const real = this.toResponse()
    // Node 20's Response has no bytes() yet.
    return typeof real.bytes === 'function' ? real.bytes() : real.arrayBuffer().then((buffer) => new Uint8Array(buffer))
  }
  blob(): Promise<Blob> {
    return this.toResponse().blob()
  }
  formData(): Promise<FormData> {
    return this.toResponse().formData()
  }
  json(): Promise<unknown> {
    return this.toResponse().json()
  }
  text(): Promise<string> {
    return this.toResponse().text()
  }
  clone(): Response {
    return this.toResponse().clone()
  }
}

/**
 * A real Fetch `Response` for code outside the library (a public `fetch`
 * handler's answer, a framework that checks `instanceof Response`).
 *
 * @example
 * ```ts
 * return toFetchResponse(await handle(request))
 * ```
 */
export function toFetchResponse(response: Response): Response {
  return response instanceof LightResponse ? response.toResponse() : response
}

/**
 * Header fields and cookies from the `{ name: value | values }` form the
 * response helpers take: arrays under `set-cookie` become separate
 * cookies, other arrays one comma-joined field (as `Headers.append` would).
 * Fields go `into` the object given (later names win).
 *
 * @example
 * ```ts
 * const { fields, cookies } = splitHeaders({ location: '/', 'set-cookie': [a, b] })
 * const more = splitHeaders(extra, { location: '/' }) // into fields already there
 * ```
 */
export function splitHeaders(headers: Record<string, string | readonly string[]>, into: Record<string, string> = {}): { fields: Record<string, string>; cookies: readonly string[] } {
  const fields = into
  let cookies: readonly string[] = EMPTY
  for (const key in headers) {
    const value = headers[key]!
    const name = LOWER_CASE.test(key) ? key : key.toLowerCase()
    if (name === 'set-cookie') cookies = cookies.concat(value)
    else fields[name] = typeof value === 'string' ? value : value.join(', ')
  }
  return { fields, cookies }
}

/** Shared, never written to: a response without cookies. */
const EMPTY: readonly string[] = Object.freeze([])
const LOWER_CASE = /^[a-z0-9-]+$/

/**
 * On a `fetch` handler function: the same handler answering with
 * {@link LightResponse}s left as they are, for the Node adapter to write
 * without building Fetch objects. The public function keeps answering
 * real `Response`s.
 *
 * @example
 * ```ts
 * const handle = (hub.fetch as unknown as Record<symbol, FetchHandler | undefined>)[LIGHT_HANDLER] ?? hub.fetch
 * ```
 */
export const LIGHT_HANDLER: unique symbol = Symbol('shared-session.light-handler')
