import { listenOnFreePort } from '../helpers/listen.js'

/** One POST the test app received on its back-channel logout endpoint. */
export interface Received {
  token: string
  contentType: string | undefined
}

/**
 * A server-to-server endpoint of a test app: records every logout token;
 * `answer` decides the status of each call (or `'hold'` to keep it open until released).
 */
export async function startBackchannelServer(answer: (n: number) => number | 'hold' = () => 200) {
  const listening = await listenOnFreePort()
  const received: Received[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  const held: (() => void)[] = []
  listening.server.on('request', async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    received.push({ token: new URLSearchParams(Buffer.concat(chunks).toString()).get('logout_token') ?? '', contentType: req.headers['content-type'] })
    for (const w of waiters.filter((w) => received.length >= w.count)) w.resolve()
    const status = answer(received.length)
    if (status === 'hold') held.push(() => res.writeHead(200).end())
    else res.writeHead(status).end()
  })
  return {
    uri: `http://127.0.0.1:${listening.port}/backchannel-logout`,
    received,
    /** Resolves once `count` calls have arrived. */
    calls(count: number): Promise<void> {
      if (received.length >= count) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ count, resolve }))
    },
    release() {
      for (const r of held.splice(0)) r()
    },
    close: () => listening.close(),
  }
}
