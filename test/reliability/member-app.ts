import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { withNodeMiddleware } from '../../src/adapters/node/index.js'
import type { Member } from '../../src/member/create-member.js'
import type { MemberSession } from '../../src/member/session-handle.js'

/**
 * The app the reliability suites run behind the member middleware, on
 * plain node:http. Every answer is JSON and names the session it saw, so a
 * test can tell "served with the visitor's session" from "served as anonymous".
 *
 * - `GET /`          reads `n`, writes `n + 1`
 * - `GET /read`      reads only
 * - `GET /patch?k=K` writes key `K` (true)
 * - `GET /keys`      the data keys of the session
 */
export function memberApp(member: Member): RequestListener {
  // The handler's promise goes back to the adapter, so a failed write is answered by the library's own error path.
  return withNodeMiddleware(member, async (req: IncomingMessage, res: ServerResponse) => {
    const session = (req as IncomingMessage & { session: MemberSession }).session
    const body = await answer(session, req.url ?? '/')
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(body))
  })
}

async function answer(session: MemberSession, url: string): Promise<Record<string, unknown>> {
  const [path, query = ''] = url.split('?') as [string, string?]
  const seen = { id: session.id, user: session.user?.username ?? null }
  if (path === '/read') return { ...seen, n: session.get('n') ?? null }
  if (path === '/keys') return { ...seen, keys: Object.keys(session.data) }
  if (path === '/patch') {
    const key = new URLSearchParams(query).get('k') ?? 'k'
    await session.set(key, true)
    return { ...seen, id: session.id }
  }
  const n = ((session.get('n') as number | undefined) ?? 0) + 1
  await session.set('n', n)
  return { ...seen, id: session.id, n }
}
