import type { IncomingMessage } from 'node:http'
import { SharedSessionError } from '../../errors/shared-session-error.js'
import type { RequestWithBody } from '../../http/request-head.js'
import { nodeRequestHead } from './request-head.js'

/** Request bodies larger than this are cut off with a 413 (forms here are tiny). */
export const MAX_BODY_BYTES = 64 * 1024

/**
 * Convert a Node `IncomingMessage` into a Fetch `Request`. The origin comes
 * from the configured `origin` when given (never trust the Host header for
 * security decisions), otherwise from the Host header.
 *
 * @example
 * ```ts
 * const request = await toRequest(req, 'http://auth.acme.localhost:4000')
 * ```
 */
export async function toRequest(req: IncomingMessage, origin?: string): Promise<Request> {
  const base = origin ?? `http://${req.headers.host ?? 'localhost'}`
  let url: URL
  try {
    url = new URL(req.url ?? '/', base)
  } catch {
    url = new URL('/', base)
  }
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    try {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
    } catch {
      // A header the Fetch API refuses (invalid bytes) is dropped, not fatal.
    }
  }
  const method = req.method ?? 'GET'
  const hasBody = method !== 'GET' && method !== 'HEAD'
  return new Request(url, { method, headers, body: hasBody ? await readBody(req) : null })
}

/**
 * A light {@link RequestWithBody} over a Node request: method, URL on the
 * configured origin, headers read straight from Node, and the body read
 * (bounded) only if a handler asks for it. No `Request`, `Headers` or
 * `AbortSignal` is built, which matters on hot paths (forward-auth).
 *
 * @example
 * ```ts
 * const response = await hub.fetch(nodeRequestWithBody(req, hub.origin))
 * ```
 */
export function nodeRequestWithBody(req: IncomingMessage, origin: string): RequestWithBody {
  return {
    ...nodeRequestHead(req, origin),
    async text() {
      return Buffer.from(await readBody(req)).toString('utf8')
    },
  }
}

async function readBody(req: IncomingMessage): Promise<ArrayBuffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) {
      req.destroy()
      throw new SharedSessionError('ERR_BODY_TOO_LARGE', `request body is over ${MAX_BODY_BYTES} bytes`)
    }
    chunks.push(chunk)
  }
  const body = Buffer.concat(chunks)
  return body.buffer.slice(body.byteOffset, body.byteOffset + body.length) as ArrayBuffer
}
