import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable, Writable } from 'node:stream'
import type { RequestWithBody } from '../http/request-head.js'

/** A Node request listener, such as `provider.callback()`. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown

/**
 * The request headers passed on to the provider. The hub's request objects
 * only promise `headers.get`, so the list is explicit; anything else (Host,
 * X-Forwarded-*) is set by the hub from its configured origin.
 */
const FORWARDED = ['accept', 'accept-language', 'authorization', 'content-type', 'cookie', 'dpop', 'origin', 'referer', 'user-agent', 'sec-fetch-site', 'sec-fetch-mode', 'sec-fetch-dest']

/**
 * Run a Node `(req, res)` handler (oidc-provider is a Koa app) on one of the
 * hub's Web-standard requests, in memory, and return its answer as a Fetch
 * `Response`. `mountPath` is stripped from the URL and announced as
 * `req.baseUrl`, as Express does, so the handler builds its links under it.
 *
 * @example
 * ```ts
 * const response = await runNodeHandler(provider.callback(), request, { origin: hub.origin, mountPath: '', clientAddress: '127.0.0.1' })
 * ```
 */
export async function runNodeHandler(handler: NodeHandler, request: RequestWithBody, options: { origin: string; mountPath: string; clientAddress: string }): Promise<Response> {
  const url = new URL(request.url)
  const body = request.method === 'GET' || request.method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await request.text(), 'utf8')
  const origin = new URL(options.origin)
  const headers: Record<string, string> = { host: origin.host, 'x-forwarded-host': origin.host, 'x-forwarded-proto': origin.protocol.slice(0, -1) }
  for (const name of FORWARDED) {
    const value = request.headers.get(name)
    if (value !== null) headers[name] = value
  }
  if (body.length > 0) headers['content-length'] = String(body.length)
  const socket = { remoteAddress: options.clientAddress, encrypted: false, readable: true, writable: true }
  const path = url.pathname.slice(options.mountPath.length) || '/'
  const req = Object.assign(Readable.from(body.length > 0 ? [body] : []), {
    method: request.method,
    url: `${path}${url.search}`,
    baseUrl: options.mountPath,
    headers,
    httpVersion: '1.1',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    complete: true,
    socket,
    connection: socket,
  })
  const res = new MemoryResponse()
  const done = new Promise<void>((resolve) => res.once('finish', resolve))
  await handler(req as unknown as IncomingMessage, res as unknown as ServerResponse)
  // Koa has answered when its callback resolves; a response left open would hang the hub's request forever.
  if (!res.writableEnded) res.end()
  await done
  return res.toResponse()
}

/** Just enough of `ServerResponse` for Koa: headers, status, a body collected in memory. */
class MemoryResponse extends Writable {
  statusCode = 200
  statusMessage = ''
  headersSent = false
  finished = false
  socket = null
  private readonly headers = new Map<string, string | string[]>()
  private readonly chunks: Buffer[] = []

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.headers.set(name.toLowerCase(), Array.isArray(value) ? [...value] : String(value))
    return this
  }
  getHeader(name: string): string | string[] | undefined {
    return this.headers.get(name.toLowerCase())
  }
  getHeaders(): Record<string, string | string[]> {
    return Object.fromEntries(this.headers)
  }
  getHeaderNames(): string[] {
    return [...this.headers.keys()]
  }
  hasHeader(name: string): boolean {
    return this.headers.has(name.toLowerCase())
  }
  removeHeader(name: string): void {
    this.headers.delete(name.toLowerCase())
  }
  writeHead(status: number, ...rest: unknown[]): this {
    this.statusCode = status
    const headers = rest.find((r) => typeof r === 'object' && r !== null) as Record<string, string | string[]> | undefined
    for (const [k, v] of Object.entries(headers ?? {})) this.setHeader(k, v)
    this.headersSent = true
    return this
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.headersSent = true
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
    callback()
  }
  override _final(callback: (error?: Error | null) => void): void {
    this.finished = true
    callback()
  }

  toResponse(): Response {
    const headers = new Headers()
    for (const [name, value] of this.headers) {
      if (name === 'content-length' || name === 'transfer-encoding' || name === 'connection') continue
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v)
    }
    const nullBody = this.statusCode === 204 || this.statusCode === 304 || this.statusCode < 200
    return new Response(nullBody ? null : Buffer.concat(this.chunks), { status: this.statusCode, headers })
  }
}
