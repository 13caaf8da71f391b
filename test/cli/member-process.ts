/**
 * A member app in its own process, as a team would run one: it reads its
 * share (`shared-session config member <site> --out <file>`), follows the
 * file for key rotations (watchKeyRing), checks itself against the hub at
 * start, and serves on the port of its origin. Prints `READY` once it listens.
 *
 *   MEMBER_CONFIG  the member configuration file
 *
 * - `GET /whoami`  JSON { user, via } (never bounced: not a navigation)
 * - `GET /verify?token=T`  JSON { username } when this member's key ring verifies the hub's token T, else 401 { error }
 * - `GET /page`    an HTML page with the push loader
 * - anything else  "ok" (navigations without a session are bounced through the hub)
 */
import { createServer } from 'node:http'
import { withNodeMiddleware } from '../../src/adapters/node/index.js'
import { openStore } from '../../src/config/open-store.js'
import { memberOptions, readMemberConfig } from '../../src/config/member-config.js'
import { loadKeyRing } from '../../src/keys/key-ring.js'
import { watchKeyRing } from '../../src/keys/watch.js'
import { createMember } from '../../src/member/create-member.js'
import type { MemberSession } from '../../src/member/session-handle.js'
import { checkMember } from '../../src/member/self-check.js'
import { verifyLoginToken } from '../../src/tokens/verify.js'

const file = process.env.MEMBER_CONFIG!
const config = readMemberConfig(file, process.env)
const keys = await loadKeyRing(config.keys)
const log = (line: string) => void process.stderr.write(`${line}\n`)
const watcher = watchKeyRing(keys, {
  path: file,
  read: () => readMemberConfig(file, process.env).keys,
  intervalMs: 500,
  log,
  onReload: (ring) => console.log(`RELOADED ${ring.handoff[0]!.id.toString('base64url')} ${[...ring.verification.keys()].join(',')}`),
})
const store = await openStore(config.store)
const member = createMember({ ...memberOptions(config, { keys, store }), log })
const server = createServer(
  withNodeMiddleware(member, (req, res) => {
    const session = (req as typeof req & { session: MemberSession }).session
    if (req.url?.startsWith('/verify?')) {
      const token = new URL(req.url, member.origin).searchParams.get('token')
      const hub = config.hub
      res.setHeader('content-type', 'application/json')
      verifyLoginToken(keys.verification, token, { issuer: hub.origin, audience: hub.token?.audience ?? hub.origin }).then(
        (claims) => res.end(JSON.stringify({ username: claims.username })),
        (err: Error & { code?: string }) => res.writeHead(401).end(JSON.stringify({ error: err.code ?? err.message })),
      )
    } else if (req.url === '/whoami') {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ user: session.user?.username ?? null, via: session.via }))
    } else if (req.url === '/page') {
      res.setHeader('content-type', 'text/html')
      res.end(`<!doctype html><p>${session.user?.username ?? 'guest'}</p>${session.loader()}`)
    } else {
      res.end('ok')
    }
  }),
)
server.listen(Number(new URL(member.origin).port), '127.0.0.1', () => {
  void checkMember(member).then((problems) => console.log(`READY ${JSON.stringify({ problems: problems.length })}`))
})
const stop = () => {
  watcher.close()
  server.closeAllConnections()
  server.close(() => void store.close().finally(() => process.exit(0)))
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
