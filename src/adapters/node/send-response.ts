import type { ServerResponse } from 'node:http'
import { LightResponse } from '../../http/light-response.js'

/**
 * Write a Fetch `Response` to a Node `ServerResponse`, keeping every
 * `Set-Cookie` header separate. The library's own light responses are
 * written straight from their fields, with no Fetch objects in between.
 *
 * @example
 * ```ts
 * await sendResponse(res, await hub.fetch(request))
 * ```
 */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  if (response instanceof LightResponse && !response.materialized) return sendLight(res, response)
  const headers: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value
  })
  // Appended, not passed to writeHead: cookies a middleware already set on `res` must survive.
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) res.appendHeader('set-cookie', cookies)
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : null
  // An explicit length, even 0, lets Node send headers and body in one write instead of chunked.
  if (response.status !== 204 && response.status !== 304) headers['content-length'] = String(body?.length ?? 0)
  res.writeHead(response.status, headers)
  res.end(body)
}

const INTERNAL = '{"error":"ERR_INTERNAL","message":"internal error"}'

/**
 * A {@link LightResponse} written as it is: one flat header list, the body
 * as a string. A field Node refuses (a control character) is a 500, as it
 * would have been when the Fetch `Headers` refused it.
 *
 * @example
 * ```ts
 * sendLight(res, new LightResponse(200, { 'content-type': 'text/plain' }, 'ok'))
 * ```
 */
export function sendLight(res: ServerResponse, response: LightResponse): void {
  const { fields, cookies, payload, status } = response
  const list: string[] = []
  for (const name in fields) list.push(name, fields[name]!)
  if (status !== 204 && status !== 304) list.push('content-length', payload === null ? '0' : String(Buffer.byteLength(payload)))
  try {
    // Appended, not in the list: cookies a middleware already set on `res` must survive.
    if (cookies.length > 0) res.appendHeader('set-cookie', cookies as string[])
    res.writeHead(status, list)
  } catch {
    if (res.headersSent) return void res.destroy()
    for (const name of res.getHeaderNames()) res.removeHeader(name)
    res.writeHead(500, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': String(INTERNAL.length) })
    return void res.end(INTERNAL)
  }
  res.end(payload)
}
