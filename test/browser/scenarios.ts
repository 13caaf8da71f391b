/**
 * The cross-site scenarios of the browser matrix, written once on the
 * engine-neutral driver (test/helpers/browser-driver.ts) and run in every
 * engine and cookie world, each journey against a fresh demo in a fresh
 * profile: 1. an anonymous cart is shared; 2. signing in reaches every site
 * with the cart carried over; 3. signing out clears every site; 4. with
 * cookies off, nothing loops.
 */
import assert from 'node:assert/strict'
import type { DemoOptions } from '../../src/demo/start-demo.js'
import { addToCart, clickAndLoad, read, signIn, signOut, visit, type Engine, type Profile, type Shown } from '../helpers/browser-driver.js'
import { SITES, startTestDemo, type SiteName, type TestDemo } from '../helpers/demo.js'

/** How a cross-site member gets the session another site has in this world: the script push, or the top-level pull. */
export type Transport = 'push' | 'pull'

/** Run `fn` against a fresh demo in a fresh profile of `engine`; always close both. */
export async function scenario(engine: Engine, fn: (t: TestDemo, p: Profile) => Promise<void>, demo: Omit<DemoOptions, 'portBase'> = {}): Promise<void> {
  const t = await startTestDemo(demo)
  try {
    const p = await engine.open()
    try {
      await fn(t, p)
    } finally {
      await p.close()
    }
  } finally {
    await t.close()
  }
}

/** Visit a site and assert some of what its page shows; failures carry the demo's log. */
export async function expectPage(t: TestDemo, p: Profile, site: SiteName, expected: Partial<Shown>, when: string): Promise<Shown> {
  const shown = await visit(p.tab, t.origin[site])
  const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, shown[k as keyof Shown]]))
  assert.deepEqual(actual, { ...expected }, `${site} ${when}${t.logs.length ? `\ndemo log:\n  ${t.logs.join('\n  ')}` : ''}`)
  return shown
}

/** 1. An anonymous cart put in on shop is on shop-de, forum and the hub with no login; ends on the hub's page. */
export async function anonymousCartShared(t: TestDemo, p: Profile, via: Transport): Promise<void> {
  await expectPage(t, p, 'shop', { site: 'shop', user: 'anonymous', cart: '' }, 'on the first visit')
  await addToCart(p.tab, 'teapot')
  assert.deepEqual(await read(p.tab), { site: 'shop', user: 'anonymous', cart: 'teapot', via: 'pull' })
  await expectPage(t, p, 'shop-de', { user: 'anonymous', cart: 'teapot', via }, 'after the cart was filled on shop')
  await expectPage(t, p, 'forum', { user: 'anonymous', cart: 'teapot', via }, 'after the cart was filled on shop')
  await expectPage(t, p, 'hub', { user: 'anonymous', cart: 'teapot' }, 'after the cart was filled on shop')
  assert.deepEqual(t.events.filter((e) => e.name === 'login'), [], 'nobody logged in')
}

/** 2. Signing in at the hub through the real form signs in all four sites and keeps the anonymous cart. */
export async function signInReachesEverySite(t: TestDemo, p: Profile): Promise<void> {
  await visit(p.tab, t.origin.hub)
  await signIn(p.tab, `${t.origin.hub}/`)
  assert.deepEqual(await read(p.tab), { site: 'hub', user: 'alice', cart: 'teapot', via: 'login' })
  for (const site of ['forum', 'shop', 'shop-de'] as const) await expectPage(t, p, site, { user: 'alice', cart: 'teapot' }, 'after signing in at the hub')
  assert.deepEqual(t.events.filter((e) => e.name === 'login').map((e) => e.event.site), ['hub'], 'one login, at the hub')
}

/** 3. Signing out on shop-de makes all four sites anonymous on their next request. */
export async function signOutClearsEverySite(t: TestDemo, p: Profile): Promise<void> {
  await visit(p.tab, t.origin['shop-de'])
  await signOut(p.tab)
  assert.deepEqual(await read(p.tab), { site: 'shop-de', user: 'anonymous', cart: '', via: 'pull' }, 'shop-de right after signing out')
  for (const site of SITES.filter((s) => s !== 'shop-de')) await expectPage(t, p, site, { user: 'anonymous', cart: '' }, 'after signing out on shop-de')
  const logouts = t.events.flatMap((e) => (e.name === 'logout' ? [e.event] : []))
  assert.deepEqual(
    logouts.map((e) => ({ site: e.site, user: e.user?.username, everywhere: e.everywhere })),
    [{ site: 'shop-de', user: 'alice', everywhere: false }],
  )
}

/**
 * Scenarios 1, 2 and 3 as one visitor's journey in one profile (a browser
 * start and a demo per journey, not per step: the matrix stays fast).
 */
export async function journey(engine: Engine, via: Transport, demo: Omit<DemoOptions, 'portBase'> = {}): Promise<void> {
  await scenario(
    engine,
    async (t, p) => {
      await anonymousCartShared(t, p, via)
      // The hub's session cookie as this origin's scheme calls for: __Host- and Secure on https, plain on http.
      const https = demo.https !== undefined && demo.https !== false
      const hubCookies = (await p.tab.cookies()).filter((c) => c.domain === new URL(t.origin.hub).hostname)
      assert.deepEqual(
        hubCookies.filter((c) => c.name.endsWith('ss')).map(({ name, secure }) => ({ name, secure })),
        [{ name: https ? '__Host-ss' : 'ss', secure: https }],
        `the hub's session cookie: ${hubCookies.map((c) => c.name).join(', ')}`,
      )
      await signInReachesEverySite(t, p)
      await signOutClearsEverySite(t, p)
    },
    demo,
  )
}

/**
 * 4. With every cookie refused, each page loads with at most one bounce
 * (server-side count, favicon fetches aside: the sites saw at most the
 * page, the accept and the page again), following a link and posting the
 * cart too.
 */
export async function noLoopWithCookiesOff(engine: Engine): Promise<void> {
  await scenario(engine, async (t, p) => {
    const load = async (label: string, site: SiteName, fn: () => Promise<unknown>) => {
      const before = { seen: t.requests.length, bounces: t.bounces() }
      await fn()
      const shown = await read(p.tab)
      assert.deepEqual({ site: shown.site, user: shown.user }, { site, user: 'anonymous' }, `${label} renders`)
      // The browser's own favicon fetches are no page loads, and one of the previous page can land late (seen in Firefox).
      const seen = t.requests.slice(before.seen).filter((r) => r.path !== '/favicon.ico')
      assert.ok(t.bounces() - before.bounces <= 1, `${label}: at most one bounce, got ${t.bounces() - before.bounces}`)
      assert.ok(seen.length <= 3, `${label}: at most the page, the accept and the page again reached the sites, got ${seen.length}: ${seen.map((r) => `${r.site} ${r.method} ${r.path}`).join(', ')}`)
    }
    for (const site of SITES) await load(site, site, () => p.tab.goto(`${t.origin[site]}/`))
    assert.equal(t.bounces('hub'), 0, 'the hub never bounces')
    await p.tab.goto(`${t.origin.shop}/`)
    await load('link to shop-de', 'shop-de', () => clickAndLoad(p.tab, `a[href^="${t.origin['shop-de']}"]`))
    // The cart form cannot pass its CSRF check with no cookie at all: what counts is that it ends, unbounced.
    const before = { seen: t.requests.length, bounces: t.bounces() }
    await addToCart(p.tab, 'teapot')
    assert.equal(t.bounces(), before.bounces, 'the POST does not bounce')
    assert.ok(t.requests.length - before.seen <= 2, `the POST and at most its redirect: ${t.requests.slice(before.seen).map((r) => `${r.method} ${r.path}`).join(', ')}`)
    assert.deepEqual(await p.tab.cookies(), [], 'no cookie was stored')
  })
}
