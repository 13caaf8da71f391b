import type { IncomingMessage } from 'node:http'
import { SharedSessionError } from '../../errors/shared-session-error.js'
import type { RequestWithBody } from '../../http/request-head.js'
import { NodeRequestHead } from './request-head.js'

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
  return new NodeRequest(req, origin)
}

class NodeRequest extends NodeRequestHead implements RequestWithBody {
  async text(): Promise<string> {
    return Buffer.from(await readBody(this.req)).toString('utf8')
  }
}

/** Past this many bytes the connection is dropped: the rest of an oversized body is read and thrown away up to here, so the client gets its 413. */
const DISCARD_LIMIT = 16 * MAX_BODY_BYTES

function readBody(req: IncomingMessage): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) chunks.push(chunk)
      else if (size > DISCARD_LIMIT) req.destroy()
    })
    req.on('error', reject)
    req.on('close', () => {
      if (!req.complete && size <= DISCARD_LIMIT) reject(new SharedSessionError('ERR_BODY_TOO_LARGE', 'request body was cut off'))
    })
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return reject(new SharedSessionError('ERR_BODY_TOO_LARGE', `request body is over ${MAX_BODY_BYTES} bytes`))
      const body = Buffer.concat(chunks)
      resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.length) as ArrayBuffer)
    })
  })
}
