/**
 * Sharing survives the browsers' bounce-tracking protection. A visitor who
 * only ever bounces through the hub's site (never clicks on one of its
 * pages) makes it a "bounce tracker": Chromium (DIPS, active with
 * third-party cookies blocked) and Firefox (Bounce Tracking Protection)
 * delete its cookies. The next site then gets a new anonymous session from
 * the hub. Nothing may be lost: when a site adopts another session, its
 * anonymous data is merged (the demo's cart as a union), so after signing
 * in every site's cart holds the items put in before and after the purge.
 *
 * Both browsers run with their periods shortened to seconds (an hour by
 * default); the test polls the cookie jar for the deletion, it never sleeps
 * a fixed time. The hub may be purged again after shop-de's bounce: the
 * merge keeps both items whichever way the timing falls. Without it
 * (`merge: 'none'`, or the default `'fill'`, where the adopted cart wins)
 * the item put in before the purge is gone from every site.
 */
import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { addToCart, clickAndLoad, read, signIn, visit, waitUntil, type Engine } from '../helpers/browser-driver.js'
import { chromiumEngine } from '../helpers/browser-chromium.js'
import { SITES } from '../helpers/demo.js'
import { launchFirefox } from '../helpers/firefox.js'
import { expectPage, scenario } from './scenarios.js'

/** Chromium's bounce-tracking mitigation with a 10 s grace period and a 5 s timer (an hour each by default). */
const CHROMIUM_DIPS = '--enable-features=DIPS:triggering_action/bounce/grace_period/10s/timer_delay/5s'

/** Firefox's Bounce Tracking Protection switched on (mode 1; the standard mode 3 only records) with a 10 s grace period and a 5 s purge timer. */
const FIREFOX_BTP = {
  'privacy.bounceTrackingProtection.mode': 1,
  'privacy.bounceTrackingProtection.bounceTrackingGracePeriodSec': 10,
  'privacy.bounceTrackingProtection.bounceTrackingPurgeTimerPeriodSec': 5,
  'privacy.bounceTrackingProtection.clientBounceDetectionTimerPeriodMS': 1000,
}

const HUB_SITE = 'acme.localhost'

/** Add an item on shop, let the hub's cookies be deleted, add another on shop-de, sign in: every cart holds both. */
async function nothingLostToThePurge(engine: Engine, t: TestContext): Promise<void> {
  await scenario(engine, async (demo, p) => {
    const hubCookies = async () => (await p.tab.cookies()).filter((c) => c.domain === HUB_SITE || c.domain.endsWith(`.${HUB_SITE}`))

    // The visitor follows a link to the shop. (Firefox records bounces only in a navigation that starts from a
    // page, not in one the automation starts in a fresh tab; a link is also how people arrive.)
    await p.tab.goto(`data:text/html,<a href="${demo.origin.shop}/">Acme shop</a>`)
    await clickAndLoad(p.tab, 'a')
    const bounced = Date.now()
    // The link's navigation ends on shop after one bounce; wait for its page rather than read a document in between.
    await waitUntil(async () => (await read(p.tab)).site === 'shop', `the shop's page after the bounce (now at ${await p.tab.url().catch(() => '?')})`)
    assert.ok((await hubCookies()).length > 0, 'the bounce left the hub a session cookie (else nothing could be deleted)')
    assert.deepEqual(await read(p.tab), { site: 'shop', user: 'anonymous', cart: '', via: 'pull' }, 'on the first visit: one bounce through the hub')
    await addToCart(p.tab, 'teapot')

    // The visitor stays on shop and never touches a page of acme.localhost.
    await waitUntil(async () => (await hubCookies()).length === 0, `${engine.name} deletes the cookies of ${HUB_SITE}`, 150_000, 500)
    const deletedAfterMs = Date.now() - bounced
    t.diagnostic(`${engine.name}: the hub's cookies were deleted ${(deletedAfterMs / 1000).toFixed(1)} s after the bounce`)

    // shop-de bounces through a hub that has forgotten the visitor: a new, empty anonymous session.
    await expectPage(demo, p, 'shop-de', { user: 'anonymous', cart: '' }, 'after the purge: the hub had no session to give')
    await addToCart(p.tab, 'pretzel')
    assert.equal((await read(p.tab)).cart, 'pretzel')

    await signIn(p.tab, `${demo.origin['shop-de']}/`)
    const carts: Record<string, string> = {}
    for (const site of SITES) {
      const shown = await visit(p.tab, demo.origin[site])
      carts[site] = shown.cart
      assert.equal(shown.user, 'alice', `${site} is signed in`)
    }
    t.diagnostic(`${engine.name}: carts after signing in: ${JSON.stringify(carts)}`)
    for (const site of SITES) {
      assert.deepEqual(carts[site]!.split(',').sort(), ['pretzel', 'teapot'], `${site}'s cart holds the items from before and after the purge: ${JSON.stringify(carts)}`)
    }
  })
}

describe('sharing survives bounce-tracking protection', { concurrency: 2 }, () => {
  test('Chromium (DIPS, third-party cookies blocked): an item put in before the hub was purged is in every cart after sign-in', async (t) => {
    await nothingLostToThePurge(chromiumEngine('third-party-blocked', [CHROMIUM_DIPS]), t)
  })

  test('Firefox (Bounce Tracking Protection on): an item put in before the hub was purged is in every cart after sign-in', async (t) => {
    const firefox = await launchFirefox('firefox (bounce tracking protection)', FIREFOX_BTP)
    try {
      await nothingLostToThePurge(firefox, t)
    } finally {
      await firefox.close()
    }
  })
})
