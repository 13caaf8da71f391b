/**
 * The browser matrix of cross-site sharing: the demo's four sites (hub
 * auth.acme.localhost, subdomain member forum.acme.localhost, cross-site
 * members shop.localhost and shop-de.localhost) in Chromium, every scenario
 * in both cookie worlds — third-party cookies allowed (the push delivers)
 * and blocked (the top-level bounce through the hub delivers) — each in a
 * fresh browser profile against a fresh demo.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { CookieWorld } from '../helpers/browser.js'
import {
  addToCart,
  clickAndLoad,
  navigationsDuring,
  openProfile,
  pulls,
  read,
  signIn,
  signOut,
  SITES,
  startTestDemo,
  visit,
  WORLDS,
  type Profile,
  type Shown,
  type SiteName,
  type TestDemo,
} from '../helpers/demo.js'
import type { DemoOptions } from '../../src/demo/start-demo.js'

/** Run one scenario against a fresh demo in a fresh profile; always close both. */
async function scenario(
  world: CookieWorld,
  fn: (t: TestDemo, p: Profile) => Promise<void>,
  options: { demo?: Omit<DemoOptions, 'portBase'>; cookies?: 'on' | 'off' } = {},
): Promise<void> {
  const t = await startTestDemo(options.demo)
  try {
    const p = await openProfile(world, { cookies: options.cookies ?? 'on' })
    try {
      await fn(t, p)
    } finally {
      await p.close()
    }
  } finally {
    await t.close()
  }
}

/** Visit a site and assert some of what its page shows; the message says why cookies were dropped, if any were. */
async function expectPage(t: TestDemo, p: Profile, site: SiteName, expected: Partial<Shown>, when: string): Promise<Shown> {
  const shown = await visit(p.page, t.origin[site])
  const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, shown[k as keyof Shown]]))
  assert.deepEqual(actual, { ...expected }, `${site} ${when}\n${p.why()}${t.logs.length ? `\ndemo log:\n  ${t.logs.join('\n  ')}` : ''}`)
  return shown
}

// The two worlds run side by side (two browsers, two demos); the scenarios of one world run in turn.
describe('cross-site sharing in Chromium', { concurrency: 2 }, () => {
  for (const world of WORLDS) {
    const allowed = world === 'third-party-allowed'
    /** How a cross-site member gets a session another site already has: the push where it can, the pull where it cannot. */
    const crossSiteVia = allowed ? 'push' : 'pull'

    describe(world, { concurrency: 1 }, () => {
      test('1. an anonymous cart put in on shop is on shop-de and forum with no login', async () => {
        await scenario(world, async (t, p) => {
          await expectPage(t, p, 'shop', { site: 'shop', user: 'anonymous', cart: '' }, 'on the first visit')
          await addToCart(p.page, 'teapot')
          assert.deepEqual(await read(p.page), { site: 'shop', user: 'anonymous', cart: 'teapot', via: 'pull' })

          await expectPage(t, p, 'shop-de', { user: 'anonymous', cart: 'teapot', via: crossSiteVia }, 'after the cart was filled on shop')
          await expectPage(t, p, 'forum', { user: 'anonymous', cart: 'teapot', via: crossSiteVia }, 'after the cart was filled on shop')
          await expectPage(t, p, 'hub', { user: 'anonymous', cart: 'teapot' }, 'after the cart was filled on shop')
          assert.deepEqual(t.events.filter((e) => e.name === 'login'), [], 'nobody logged in')
        })
      })

      test('2. signing in at the hub through the real form signs in all four sites and keeps the anonymous cart', async () => {
        await scenario(world, async (t, p) => {
          await visit(p.page, t.origin.shop)
          await addToCart(p.page, 'teapot')
          await expectPage(t, p, 'shop-de', { user: 'anonymous', cart: 'teapot' }, 'before login')
          await expectPage(t, p, 'hub', { user: 'anonymous', cart: 'teapot' }, 'before login')

          await signIn(p.page, `${t.origin.hub}/`)
          assert.deepEqual(await read(p.page), { site: 'hub', user: 'alice', cart: 'teapot', via: 'login' }, p.why())
          for (const site of ['forum', 'shop', 'shop-de'] as const) {
            await expectPage(t, p, site, { user: 'alice', cart: 'teapot' }, 'after signing in at the hub')
          }
          assert.deepEqual(
            t.events.filter((e) => e.name === 'login').map((e) => e.event.site),
            ['hub'],
            'one login, at the hub',
          )
        })
      })

      for (const from of ['shop-de', 'forum'] as const) {
        test(`3. signing out on ${from} makes all four sites anonymous on their next request`, async () => {
          await scenario(world, async (t, p) => {
            await visit(p.page, t.origin.shop)
            await addToCart(p.page, 'teapot')
            await visit(p.page, t.origin.hub)
            await signIn(p.page, `${t.origin.hub}/`)
            for (const site of SITES) await expectPage(t, p, site, { user: 'alice', cart: 'teapot' }, 'after login')

            await visit(p.page, t.origin[from])
            await signOut(p.page)
            assert.deepEqual(await read(p.page), { site: from, user: 'anonymous', cart: '', via: 'pull' }, `${from} right after signing out\n${p.why()}`)
            for (const site of SITES.filter((s) => s !== from)) {
              await expectPage(t, p, site, { user: 'anonymous', cart: '' }, `after signing out on ${from}`)
            }
            const logouts = t.events.flatMap((e) => (e.name === 'logout' ? [e.event] : []))
            assert.deepEqual(
              logouts.map((e) => ({ site: e.site, user: e.user?.username, everywhere: e.everywhere })),
              [{ site: from, user: 'alice', everywhere: false }],
            )
          })
        })
      }

      for (const alwaysReplace of [false, true]) {
        test(`4. alwaysReplace ${alwaysReplace ? 'on: a live session on shop-de is replaced' : 'off: shop-de keeps its own live session (a sign-in still reaches it)'}`, async () => {
          // merge 'none': this test is about which session wins; carrying the loser's cart over is the bounce-tracking tests' subject.
          const demo = { members: { 'shop-de': { alwaysReplace, bounce: 'never' as const, merge: 'none' as const } } }
          await scenario(
            world,
            async (t, p) => {
              // shop-de (which never bounces) starts its own session with its own cart. Its page's loader
              // would push that session to the empty shop and hub in the allowed world, so the setup holds
              // it back: the point is that shop-de and shop hold *different* live sessions.
              await p.context.route('**/_session/push/**', (route) => route.abort())
              await visit(p.page, t.origin['shop-de'])
              await addToCart(p.page, 'pretzel')
              assert.deepEqual(await read(p.page), { site: 'shop-de', user: 'anonymous', cart: 'pretzel', via: 'new' })
              await p.context.unroute('**/_session/push/**')
              assert.deepEqual(t.replaced('shop-de'), [])

              // The visitor reaches shop: it bounces once (a session of its own from the hub), and its page
              // pushes that session to every other site.
              await expectPage(t, p, 'shop', { user: 'anonymous', cart: '', via: 'pull' }, 'on the first visit')
              await addToCart(p.page, 'teapot')

              if (allowed) {
                // The push from shop's page is what meets shop-de's live session.
                if (alwaysReplace) {
                  await expectPage(t, p, 'shop-de', { user: 'anonymous', cart: 'teapot', via: 'push' }, 'replaced by the push')
                  assert.deepEqual(t.replaced('shop-de'), [{ site: 'shop-de', src: 'shop', dst: 'shop-de', wasEmpty: false, via: 'push' }])
                } else {
                  await expectPage(t, p, 'shop-de', { user: 'anonymous', cart: 'pretzel', via: 'new' }, 'kept against the push')
                  assert.deepEqual(t.replaced('shop-de'), [])
                }
                return
              }

              // Blocked: no push reaches shop-de, and it never bounces. A pull does: first an anonymous one
              // (shop-de's "link this site now" sync), where alwaysReplace decides…
              await expectPage(t, p, 'shop-de', { user: 'anonymous', cart: 'pretzel', via: 'new' }, 'untouched: no push, no bounce')
              assert.deepEqual(t.replaced('shop-de'), [])
              const sync = await navigationsDuring(p.page, () => p.page.goto(`${t.origin['shop-de']}/_session/sync?return=%2F`))
              assert.deepEqual(pulls(sync.urls, t.origin.hub), ['shop-de'])
              const anonymousPull = { site: 'shop-de', src: 'hub', dst: 'shop-de', wasEmpty: false, via: 'pull' as const }
              if (alwaysReplace) {
                assert.deepEqual(await read(p.page), { site: 'shop-de', user: 'anonymous', cart: 'teapot', via: 'pull' }, `replaced by the pull\n${p.why()}`)
                assert.deepEqual(t.replaced('shop-de'), [anonymousPull])
              } else {
                assert.deepEqual(await read(p.page), { site: 'shop-de', user: 'anonymous', cart: 'pretzel', via: 'new' }, `kept against the pull\n${p.why()}`)
                assert.deepEqual(t.replaced('shop-de'), [])
              }
              // …then the login walk: a sign-in from the hub beats an anonymous session whatever alwaysReplace says.
              await visit(p.page, t.origin.shop)
              await signIn(p.page, `${t.origin.shop}/`)
              assert.deepEqual(await read(p.page), { site: 'shop', user: 'alice', cart: 'teapot', via: 'pull' }, p.why())
              await expectPage(t, p, 'shop-de', { user: 'alice', cart: 'teapot', via: 'pull' }, 'signed in by the login walk')
              // With alwaysReplace on, shop-de already held the visitor's session, which the login rotated away: it was empty.
              const walk = { site: 'shop-de', src: 'hub', dst: 'shop-de', wasEmpty: alwaysReplace, via: 'pull' as const }
              assert.deepEqual(t.replaced('shop-de'), alwaysReplace ? [anonymousPull, walk] : [walk])
            },
            { demo },
          )
        })
      }

      test(
        allowed
          ? '5. the push delivers the session to shop-de and forum with no redirect at all'
          : '5. exactly one bounce per site, and none for later visits',
        async () => {
          await scenario(world, async (t, p) => {
            const first = await navigationsDuring(p.page, () => visit(p.page, t.origin.shop))
            assert.deepEqual(pulls(first.urls, t.origin.hub), ['shop'], `a first visit bounces once: ${first.urls.join(' → ')}`)
            const cart = await navigationsDuring(p.page, () => addToCart(p.page, 'teapot'))
            assert.deepEqual(cart.urls, [`${t.origin.shop}/cart`, `${t.origin.shop}/`], 'the cart POST does not bounce')

            const toDe = await navigationsDuring(p.page, () => visit(p.page, t.origin['shop-de']))
            if (allowed) {
              assert.deepEqual(toDe.urls, [`${t.origin['shop-de']}/`], `no navigation to the hub on the way to shop-de\n${p.why()}`)
              assert.equal(toDe.result.via, 'push')
            } else {
              assert.deepEqual(pulls(toDe.urls, t.origin.hub), ['shop-de'], `one bounce: ${toDe.urls.join(' → ')}`)
              assert.equal(toDe.result.via, 'pull')
            }
            assert.equal(toDe.result.cart, 'teapot', p.why())

            // forum is cross-site to shop too (the hub's own pages would push to it, same-site, but it comes first here).
            const toForum = await navigationsDuring(p.page, () => visit(p.page, t.origin.forum))
            if (allowed) assert.deepEqual(toForum.urls, [`${t.origin.forum}/`], `no navigation to the hub on the way to forum\n${p.why()}`)
            else assert.deepEqual(pulls(toForum.urls, t.origin.hub), ['forum'], `one bounce: ${toForum.urls.join(' → ')}`)
            assert.deepEqual({ via: toForum.result.via, cart: toForum.result.cart }, { via: crossSiteVia, cart: 'teapot' }, p.why())

            // Round and round: no site bounces a second time.
            const rounds = await navigationsDuring(p.page, async () => {
              for (let round = 0; round < 2; round++) for (const site of SITES) await visit(p.page, t.origin[site])
            })
            assert.deepEqual(pulls(rounds.urls, t.origin.hub), [], `no pull during two rounds over the four sites\n${p.why()}`)
            assert.equal(rounds.urls.length, 2 * SITES.length, 'one navigation per visit')
            // The server agrees: bounces by site over the whole run.
            const bounces = Object.fromEntries(SITES.map((s) => [s, t.bounces(s)]))
            assert.deepEqual(bounces, allowed ? { hub: 0, forum: 0, shop: 1, 'shop-de': 0 } : { hub: 0, forum: 1, shop: 1, 'shop-de': 1 })
            for (const site of SITES) await expectPage(t, p, site, { user: 'anonymous', cart: 'teapot' }, 'after two rounds')
          })
        },
      )

      test('5. a fetch() and a form POST never bounce', async () => {
        await scenario(world, async (t, p) => {
          await visit(p.page, t.origin.shop)
          // Shop forgets the visitor: the next top-level navigation would bounce.
          await p.context.clearCookies({ domain: 'shop.localhost' })
          const requests: string[] = []
          p.page.on('request', (r) => void requests.push(r.url()))
          const before = { bounces: t.bounces(), seen: t.requests.length, events: t.events.length }

          const answer = await p.page.evaluate(async () => {
            const r = await fetch('/')
            return { status: r.status, redirected: r.redirected, url: r.url }
          })
          assert.deepEqual(answer, { status: 200, redirected: false, url: `${t.origin.shop}/` })
          assert.deepEqual(
            t.requests.slice(before.seen).map(({ site, method, path, mode, bounced }) => ({ site, method, path, mode, bounced })),
            [{ site: 'shop', method: 'GET', path: '/', mode: 'cors', bounced: false }],
            'the server saw the fetch and did not bounce it',
          )
          assert.equal(t.events.length, before.events, 'no session was made or linked for the fetch')

          // The form's CSRF token belonged to the session shop just forgot: the POST is refused, and still never bounces.
          const post = await navigationsDuring(p.page, () => addToCart(p.page, 'mug'))
          assert.deepEqual(post.urls, [`${t.origin.shop}/cart`], 'the cart POST alone: no redirect, no bounce')
          assert.equal(t.bounces(), before.bounces, 'no bounce on the server either')
          assert.deepEqual(requests.filter((u) => u.startsWith(`${t.origin.hub}/pull`)), [], 'nothing went to the pull endpoint')
          assert.equal(await p.page.getByTestId('cart').count(), 0, 'the refusal page, not a page with a cart')
          assert.equal(t.events.length, before.events, 'the refused POST made or linked no session')
        })
      })

      test('6. with every cookie refused, each page loads with a bounded number of navigations', async () => {
        await scenario(
          world,
          async (t, p) => {
            const load = async (label: string, fn: () => Promise<unknown>, site: SiteName) => {
              let urls: string[] = []
              try {
                urls = (await navigationsDuring(p.page, fn)).urls
              } catch (err) {
                assert.fail(`${label}: ${(err as Error).message.split('\n')[0]}\n${p.why()}`)
              }
              const shown = await read(p.page)
              assert.deepEqual({ site: shown.site, user: shown.user }, { site, user: 'anonymous' }, `${label} renders`)
              assert.ok(urls.length <= 4, `${label}: at most one bounce (4 navigations), got ${urls.length}: ${urls.join(' → ')}`)
              assert.ok(pulls(urls, t.origin.hub).length <= 1, `${label}: at most one pull`)
              return urls
            }
            for (const site of SITES) await load(site, () => p.page.goto(`${t.origin[site]}/`), site)
            assert.equal(t.bounces('hub'), 0, 'the hub never bounces')
            // Following a link to the other shop, and posting the cart form, stay bounded too.
            await p.page.goto(`${t.origin.shop}/`)
            await load('link to shop-de', () => clickAndLoad(p.page, p.page.getByRole('link', { name: 'shop-de.localhost' })), 'shop-de')
            // With no cookie the cart form cannot pass its CSRF check: what counts is that it ends, unbounced.
            const post = await navigationsDuring(p.page, () => addToCart(p.page, 'teapot'))
            assert.deepEqual(pulls(post.urls, t.origin.hub), [], 'the POST does not bounce')
            assert.ok(post.urls.length <= 2, `the POST and at most its redirect: ${post.urls.join(' → ')}`)
            assert.ok(p.blocked.some((line) => line.includes('ss')), `Chromium did refuse the cookies: ${p.why()}`)
            assert.deepEqual(await p.context.cookies(), [], 'no cookie was stored')
          },
          { cookies: 'off' },
        )
      })
    })
  }
})
