import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core'
import { startDemo, type Demo, type DemoOptions } from '../../src/demo/start-demo.js'
import type { MiddlewareCore } from '../../src/adapters/middleware.js'
import type { SessionEvents } from '../../src/events/emitter.js'
import { CHROMIUM, CHROMIUM_ARGS, type CookieWorld } from './browser.js'
import { stopChild } from './child.js'

/** The four demo sites, in the order the demo starts them (hub on portBase, then +1, +2, +3). */
export const SITES = ['hub', 'forum', 'shop', 'shop-de'] as const
export type SiteName = (typeof SITES)[number]
export type MemberName = Exclude<SiteName, 'hub'>

/** Both cookie worlds, for `for (const world of WORLDS)` around every cross-site scenario. */
export const WORLDS: readonly CookieWorld[] = ['third-party-allowed', 'third-party-blocked']

/** A base in 20000–60000 with room for four ports. */
export function randomPortBase(): number {
  return 20_000 + Math.floor(Math.random() * (60_000 - 20_000 - 4))
}

/** One request a site's middleware saw, and whether it answered with a bounce to the hub's pull. */
export interface SeenRequest {
  site: SiteName
  method: string
  path: string
  /** `Sec-Fetch-Mode` (`navigate`, `cors`, `no-cors`…), or null. */
  mode: string | null
  bounced: boolean
}

/** An event some site emitted, with the name it was emitted under. */
export type SeenEvent = { [K in keyof SessionEvents]: { name: K; event: SessionEvents[K] } }[keyof SessionEvents]

/** A demo running in this process on a free port base, with a server-side request log and an event log. */
export interface TestDemo {
  demo: Demo
  portBase: number
  origin: Record<SiteName, string>
  /** Every request each site's middleware handled (the hub's pages included; not the hub's own endpoints). */
  requests: SeenRequest[]
  /** Server-side count of bounces (redirects to the hub's `/pull`) by site. */
  bounces(site?: SiteName): number
  /** `login`, `logout`, `session.created`, `session.replaced` of every site, in order. */
  events: SeenEvent[]
  replaced(site?: SiteName): SessionEvents['session.replaced'][]
  /** What the demo logged (kept quiet; attached to failures). */
  logs: string[]
  close(): Promise<void>
}

/**
 * Start the demo in this process on a random free port base (memory store
 * unless told otherwise), retrying on EADDRINUSE, and watch it: every
 * member's middleware is wrapped to record the requests it saw and which it
 * bounced, and every site's events are logged.
 *
 * @example
 * ```ts
 * const t = await startTestDemo({ members: { 'shop-de': { alwaysReplace: true, bounce: 'never' } } })
 * try { … t.bounces('shop') … } finally { await t.close() }
 * ```
 */
export async function startTestDemo(options: Omit<DemoOptions, 'portBase'> = {}): Promise<TestDemo> {
  const logs: string[] = []
  for (let attempt = 0; ; attempt++) {
    const portBase = randomPortBase()
    let demo: Demo
    try {
      demo = await startDemo({ store: 'memory', log: (m) => void logs.push(m), ...options, portBase })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 20) continue
      throw err
    }
    return watch(demo, portBase, logs)
  }
}

function watch(demo: Demo, portBase: number, logs: string[]): TestDemo {
  const origin = Object.fromEntries(demo.sites.map((s) => [s.name, s.origin])) as Record<SiteName, string>
  const requests: SeenRequest[] = []
  const events: SeenEvent[] = []
  const pullPrefix = `${origin.hub}/pull?`
  const cores: [SiteName, MiddlewareCore<unknown>][] = [['hub', demo.hub.member], ...(Object.entries(demo.members) as [MemberName, MiddlewareCore<unknown>][])]
  for (const [site, core] of cores) {
    const handle = core.handle.bind(core)
    core.handle = async (request, sink) => {
      const result = await handle(request, sink)
      const location = result.response?.headers.get('location') ?? ''
      requests.push({
        site,
        method: request.method,
        path: new URL(request.url).pathname,
        mode: request.headers.get('sec-fetch-mode'),
        bounced: result.response !== undefined && result.response.status >= 300 && result.response.status < 400 && location.startsWith(pullPrefix),
      })
      return result
    }
  }
  const emitters = [demo.hub.events, ...Object.values(demo.members).map((m) => m.events)]
  for (const emitter of new Set(emitters)) {
    for (const name of ['login', 'logout', 'session.created', 'session.replaced'] as const) {
      emitter.on(name, (event) => void events.push({ name, event } as SeenEvent))
    }
  }
  return {
    demo,
    portBase,
    origin,
    requests,
    bounces: (site) => requests.filter((r) => r.bounced && (site === undefined || r.site === site)).length,
    events,
    replaced: (site) =>
      events.flatMap((e) => (e.name === 'session.replaced' && (site === undefined || e.event.site === site) ? [e.event] : [])),
    logs,
    close: () => demo.close(),
  }
}

/** A demo started as `npm start` does (`shared-session demo`, the CLI), in a child process on SQLite in a temporary folder. */
export interface DemoProcess {
  portBase: number
  origin: Record<SiteName, string>
  output(): string
  close(): Promise<void>
}

/**
 * Start the demo the way `npm start` does — `tsx src/cli/main.ts demo
 * --port-base N --data-dir DIR` — and wait until it prints its sites. The
 * port base comes from `DEMO_PORT_BASE`, else a random free one (retried
 * when a port is taken).
 */
export async function startDemoProcess(): Promise<DemoProcess> {
  const fixed = process.env.DEMO_PORT_BASE ? Number(process.env.DEMO_PORT_BASE) : undefined
  for (let attempt = 0; ; attempt++) {
    const portBase = fixed ?? randomPortBase()
    const dataDir = mkdtempSync(join(tmpdir(), 'ss-demo-'))
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo', '--port-base', String(portBase), '--data-dir', dataDir], {
      cwd: new URL('../..', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout!.on('data', (chunk) => (out += chunk))
    child.stderr!.on('data', (chunk) => (out += chunk))
    const ready = await new Promise<boolean>((resolve) => {
      // tsx compiles the CLI at start: generous on a loaded machine.
      const timer = setTimeout(() => resolve(false), 60_000)
      const check = () => {
        if (out.includes('Ctrl-C stops')) {
          clearTimeout(timer)
          resolve(true)
        }
      }
      child.stdout!.on('data', check)
      child.once('exit', () => {
        clearTimeout(timer)
        resolve(false)
      })
    })
    const stop = () => stopChild(child).finally(() => rmSync(dataDir, { recursive: true, force: true }))
    if (ready) {
      const origin = {
        hub: `http://auth.acme.localhost:${portBase}`,
        forum: `http://forum.acme.localhost:${portBase + 1}`,
        shop: `http://shop.localhost:${portBase + 2}`,
        'shop-de': `http://shop-de.localhost:${portBase + 3}`,
      }
      return { portBase, origin, output: () => out, close: stop }
    }
    await stop()
    // The CLI says a taken port in words (src/cli/fail.ts); a random base can meet another socket's port.
    if (fixed === undefined && /EADDRINUSE|is already in use/.test(out) && attempt < 20) continue
    throw new Error(`the demo did not start on port base ${portBase}:\n${out}`)
  }
}



/** A fresh Chromium profile and a first page that logs why cookies were blocked. */
export interface Profile {
  context: BrowserContext
  page: Page
  /** Cookies Chromium refused to store, with reasons (`UserPreferences`, `SchemefulSameSiteLax`…): attach to assertion messages. */
  blocked: string[]
  /** The blocked cookies as one line for an assertion message. */
  why(): string
  close(): Promise<void>
}

/**
 * A fresh persistent Chromium profile in a cookie world, launched once with
 * its preferences written before the first start (0.7 s here), with
 * `cookies: 'off'` for a browser that refuses every cookie
 * (`profile.default_content_setting_values.cookies = 2`). The first page
 * logs blocked cookies over CDP (the recipe of BROWSER-TESTING.md).
 */
export async function openProfile(
  world: CookieWorld,
  options: { cookies?: 'on' | 'off'; viewport?: { width: number; height: number } } = {},
): Promise<Profile> {
  const dir = mkdtempSync(join(tmpdir(), 'ss-profile-'))
  mkdirSync(join(dir, 'Default'))
  const allowed = world === 'third-party-allowed'
  const profile: Record<string, unknown> = { cookie_controls_mode: allowed ? 0 : 1, block_third_party_cookies: !allowed }
  if (options.cookies === 'off') profile.default_content_setting_values = { cookies: 2 }
  writeFileSync(join(dir, 'Default', 'Preferences'), JSON.stringify({ profile }))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: options.viewport ?? { width: 1280, height: 800 },
    })
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const page = context.pages()[0] ?? (await context.newPage())
  const blocked: string[] = []
  const urls = new Map<string, string>()
  const cdp = await context.newCDPSession(page)
  await cdp.send('Network.enable')
  cdp.on('Network.requestWillBeSent', (e) => void urls.set(e.requestId, e.request.url.slice(0, 80)))
  cdp.on('Network.responseReceivedExtraInfo', (e) => {
    for (const c of e.blockedCookies ?? []) {
      blocked.push(`${urls.get(e.requestId) ?? '?'}: ${c.cookie?.name ?? c.cookieLine.split('=')[0]} ${c.blockedReasons.join('|')}`)
    }
  })
  return {
    context,
    page,
    blocked,
    why: () => (blocked.length === 0 ? 'no cookie was blocked' : `blocked cookies:\n  ${[...new Set(blocked)].join('\n  ')}`),
    async close() {
      try {
        await context.close()
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

/** What a demo page shows. */
export interface Shown {
  site: string
  user: string
  cart: string
  via: string
}

/** Read the data-testid'd fields of the demo page in `page`. */
export async function read(page: Page): Promise<Shown> {
  const text = async (id: string) => ((await page.getByTestId(id).textContent({ timeout: 5_000 })) ?? '').trim()
  return { site: await text('site'), user: await text('user'), cart: await text('cart'), via: await text('via') }
}

/** Go to a site's page and read it. */
export async function visit(page: Page, origin: string): Promise<Shown> {
  await page.goto(`${origin}/`)
  return read(page)
}

/**
 * Run `fn` and return the top-level navigation requests of `page` it caused
 * (every hop of a redirect chain is one), as URLs.
 */
export async function navigationsDuring<T>(page: Page, fn: () => Promise<T>): Promise<{ result: T; urls: string[] }> {
  const urls: string[] = []
  const listener = (request: import('playwright-core').Request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) urls.push(request.url())
  }
  page.on('request', listener)
  try {
    return { result: await fn(), urls }
  } finally {
    page.off('request', listener)
  }
}

/** Navigations to the hub's pull endpoint among `urls`, as the `dst` each was for. */
export function pulls(urls: string[], hubOrigin: string): string[] {
  return urls.filter((u) => u.startsWith(`${hubOrigin}/pull?`)).map((u) => new URL(u).searchParams.get('dst') ?? '?')
}

/** Click something that loads a new document (a form post and its redirects) and wait for it to load. */
export async function clickAndLoad(page: Page, target: Locator): Promise<void> {
  const loaded = page.waitForEvent('load')
  await target.click()
  await loaded
}

/** Put an item in the cart with the shop's form, as a person would. */
export async function addToCart(page: Page, item: string): Promise<void> {
  await page.getByTestId('item').fill(item)
  await clickAndLoad(page, page.getByTestId('add'))
}

/**
 * Sign in through the hub's real form from the current page's "Sign in at
 * the hub" link, and wait to land back at `landing` (the walk through every
 * member happens on the way).
 */
export async function signIn(page: Page, landing: string, user = { username: 'alice', password: 'wonderland' }): Promise<void> {
  await page.getByTestId('login').click()
  await page.getByLabel('Username').waitFor()
  await page.getByLabel('Username').fill(user.username)
  await page.getByLabel('Password').fill(user.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(landing)
}

/** Sign out with the current page's button. */
export async function signOut(page: Page): Promise<void> {
  await clickAndLoad(page, page.getByTestId('logout'))
}
