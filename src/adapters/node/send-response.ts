import type { ServerResponse } from 'node:http'

/**
 * Write a Fetch `Response` to a Node `ServerResponse`, keeping every
 * `Set-Cookie` header separate.
 *
 * @example
 * ```ts
 * await sendResponse(res, await hub.fetch(request))
 * ```
 */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
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
