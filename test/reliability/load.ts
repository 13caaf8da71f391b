/**
 * A bounded concurrent load: `workers` loops, each sending one request at a
 * time (Node's fetch keeps connections alive) until `stop()` is called.
 * Every request has its own time limit, so a hung server fails the test
 * instead of hanging it.
 */
export interface Load {
  /** Requests answered so far (any status) and requests that failed at the socket. */
  readonly sent: number
  /** Date.now() when the load started: the zero of every sample's `at`. */
  readonly startedAt: number
  stop(): Promise<void>
}

/** One answered or failed request, as a load records it. */
export interface Sample {
  /** ms since the load started, when the request was sent */
  at: number
  /** ms since the load started, when the answer (or the failure) came */
  doneAt: number
  /** HTTP status, or 0 when the request failed without an answer (reset, refused, timeout). */
  status: number
  target: string
  body: Record<string, unknown> | null
  retryAfter: string | null
  setCookie: string[]
  failure?: string
}

/**
 * Run `pick(worker, i)` → a request, over and over in `workers` parallel loops,
 * recording every outcome in `samples`.
 */
export function startLoad(
  workers: number,
  pick: (worker: number, i: number) => { url: string; headers?: Record<string, string> },
  samples: Sample[],
  timeoutMs = 5_000,
): Load {
  const started = Date.now()
  let stopped = false
  let sent = 0
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let i = 0; !stopped; i++) {
      const { url, headers = {} } = pick(worker, i)
      const at = Date.now() - started
      try {
        const response = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
        const text = await response.text()
        let body: Record<string, unknown> | null = null
        try {
          body = JSON.parse(text) as Record<string, unknown>
        } catch {
          body = { text: text.slice(0, 200) }
        }
        samples.push({ at, doneAt: Date.now() - started, status: response.status, target: url, body, retryAfter: response.headers.get('retry-after'), setCookie: response.headers.getSetCookie() })
      } catch (err) {
        samples.push({ at, doneAt: Date.now() - started, status: 0, target: url, body: null, retryAfter: null, setCookie: [], failure: String((err as Error)?.cause ?? err) })
        // A refused connection fails at once: do not spin.
        await new Promise((r) => setTimeout(r, 20))
      }
      sent++
    }
  })
  return {
    get sent() {
      return sent
    },
    startedAt: started,
    async stop() {
      stopped = true
      await Promise.all(loops)
    },
  }
}

/** Resolves when `check()` is true, polling every `everyMs`; rejects after `withinMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, withinMs: number, everyMs = 50): Promise<number> {
  const start = Date.now()
  for (;;) {
    if (await check()) return Date.now() - start
    if (Date.now() - start > withinMs) throw new Error(`${what}: not within ${withinMs} ms`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** Count of samples by status, e.g. `{ 200: 812, 503: 96 }`, for assertion messages. */
export function histogram(samples: readonly Sample[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const s of samples) out[s.status] = (out[s.status] ?? 0) + 1
  return out
}

/** Sleep. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
