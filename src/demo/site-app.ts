import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { withNodeMiddleware } from '../adapters/node/index.js'
import type { Member } from '../member/create-member.js'
import type { MemberSession } from '../member/session-handle.js'
import { demoPage, type DemoSite } from './page.js'

/**
 * One demo site as a plain `node:http` app behind the member middleware:
 * `GET /` shows the page, `POST /cart` (field `item`) adds to the cart.
 *
 * @example
 * ```ts
 * createServer(demoSiteApp({ site, sites, member, loginUrl })).listen(4002)
 * ```
 */
export function demoSiteApp(p: { site: DemoSite; sites: DemoSite[]; member: Member; loginUrl: (returnTo: string) => string }): RequestListener {
  const prefix = p.member.context.prefix
  return withNodeMiddleware(p.member, async (req: IncomingMessage, res: ServerResponse) => {
    const session = (req as IncomingMessage & { session: MemberSession }).session
    const path = new URL(req.url ?? '/', p.site.origin).pathname
    if (req.method === 'POST' && path === '/cart' && p.site.shop) {
      const item = (await readForm(req)).get('item')?.trim().slice(0, 40)
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
        logoutAction: `${prefix}/logout?return=/&everywhere=0`,
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
