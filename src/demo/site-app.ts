import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { withNodeMiddleware } from '../adapters/node/index.js'
import type { Member } from '../member/create-member.js'
import type { MemberSession } from '../member/session-handle.js'
import { demoPage, type DemoSite } from './page.js'
import { fillMissing, type MergeData } from '../member/merge.js'

/**
 * The demo's cart merge: when a site adopts another session, its anonymous
 * cart joins the adopted one (a union, in order), so an item put in before
 * the hub's cookies were deleted, or before signing in, is never lost.
 *
 * @example
 * ```ts
 * createMember({ ...options, merge: mergeCarts })
 * ```
 */
export const mergeCarts: MergeData = (anonymous, adopted) => {
  const mine = Array.isArray(anonymous.cart) ? (anonymous.cart as string[]) : []
  const theirs = Array.isArray(adopted.cart) ? (adopted.cart as string[]) : []
  const cart = [...new Set([...theirs, ...mine])]
  return cart.length === theirs.length ? fillMissing(anonymous, adopted) : { ...fillMissing(anonymous, adopted), cart }
}

/**
 * One demo site as a plain `node:http` app behind the member middleware:
 * `GET /` shows the page, `POST /cart` (fields `item` and `csrf`) adds to the cart.
 *
 * @example
 * ```ts
 * createServer(demoSiteApp({ site, sites, member, loginUrl })).listen(4002)
 * ```
 */
export function demoSiteApp(p: { site: DemoSite; sites: DemoSite[]; member: Member; loginUrl: (returnTo: string) => string }): RequestListener {
  return withNodeMiddleware(p.member, async (req: IncomingMessage, res: ServerResponse) => {
    const session = (req as IncomingMessage & { session: MemberSession }).session
    const path = new URL(req.url ?? '/', p.site.origin).pathname
    if (req.method === 'POST' && path === '/cart' && p.site.shop) {
      const form = await readForm(req)
      // A cross-site form neither passes the CSRF check nor could change the session (ERR_CROSS_SITE_REQUEST).
      session.checkCsrf(form.get('csrf'))
      const item = form.get('item')?.trim().slice(0, 40)
      if (item) {
        const cart = (session.get('cart') as string[] | undefined) ?? []
        await session.patch({ cart: [...cart, item], cartFrom: p.site.name })
      }
      res.writeHead(303, { location: '/', 'cache-control': 'no-store' }).end()
      return
    }
    if (req.method === 'GET' && path === '/') {
      const html = demoPage({
        site: p.site,
        sites: p.sites,
        session,
        loginUrl: p.loginUrl(`${p.site.origin}/`),
        logoutAction: session.logoutAction('/'),
        csrf: p.site.shop ? session.csrfToken() : '',
        loader: session.loader(),
      })
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'private, no-store' }).end(html)
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
  })
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = ''
  for await (const chunk of req) {
    body += chunk
    if (body.length > 4096) break
  }
  return new URLSearchParams(body)
}
