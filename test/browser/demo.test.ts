/**
 * A person clicks through the demo, in both cookie worlds: the demo started
 * as `npm start` starts it (the `shared-session demo` command, SQLite in a
 * temporary folder, port base from DEMO_PORT_BASE or a free one), a shop
 * cart shared anonymously, a sign-in at the hub that reaches all four sites,
 * a sign-out that leaves all four anonymous — and screenshots of every page
 * into docs/screenshots/ for a person to look at.
 */
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import type { Page } from 'playwright-core'
import {
  clickAndLoad,
  openProfile,
  read,
  SITES,
  startDemoProcess,
  WORLDS,
  type DemoProcess,
  type Profile,
  type SiteName,
} from '../helpers/demo.js'

const SHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname
const LABEL: Record<SiteName, string> = { hub: 'auth.acme.localhost', forum: 'forum.acme.localhost', shop: 'shop.localhost', 'shop-de': 'shop-de.localhost' }

/** Follow the demo's nav link to a site, as a person would. */
async function goTo(page: Page, site: SiteName) {
  await clickAndLoad(page, page.getByRole('navigation').getByRole('link', { name: LABEL[site], exact: true }))
  return read(page)
}

describe('a person clicks through the demo', { concurrency: 2 }, () => {
  let demo: DemoProcess
  before(async () => {
    mkdirSync(SHOTS, { recursive: true })
    demo = await startDemoProcess()
  })
  after(async () => {
    await demo?.close()
  })

  for (const world of WORLDS) {
    const allowed = world === 'third-party-allowed'
    test(`anonymous cart, sign in, sign out, screenshots (${world})`, async () => {
      let p: Profile | undefined
      try {
        p = await openProfile(world, { viewport: { width: 1280, height: 800 } })
        const { page } = p
        const why = () => `${p!.why()}\ndemo output:\n${demo.output()}`

        // Types the shop's address, puts a teapot in the cart.
        await page.goto(`${demo.origin.shop}/`)
        assert.deepEqual(await read(page), { site: 'shop', user: 'anonymous', cart: '', via: 'pull' }, why())
        await page.getByRole('textbox', { name: 'item' }).pressSequentially('teapot')
        await clickAndLoad(page, page.getByRole('button', { name: 'Add to cart' }))
        assert.deepEqual(await read(page), { site: 'shop', user: 'anonymous', cart: 'teapot', via: 'pull' }, why())

        // The other shop has the cart, with no sign-in; `via` says how it got there.
        const de = await goTo(page, 'shop-de')
        assert.deepEqual(de, { site: 'shop-de', user: 'anonymous', cart: 'teapot', via: allowed ? 'push' : 'pull' }, why())
        const story = await page.getByTestId('story').textContent()
        assert.match(story ?? '', allowed ? /came from shop\.localhost.*by push/ : /came from shop\.localhost.*redirect through the hub/)
        assert.deepEqual(await goTo(page, 'forum'), { site: 'forum', user: 'anonymous', cart: 'teapot', via: allowed ? 'push' : 'pull' }, why())

        // Signs in at the hub from the forum.
        await clickAndLoad(page, page.getByRole('link', { name: 'Sign in at the hub' }))
        assert.equal(new URL(page.url()).origin, demo.origin.hub)
        await page.screenshot({ path: `${SHOTS}${world}-hub-login.png`, fullPage: true })
        await page.getByLabel('Username').pressSequentially('alice')
        await page.getByLabel('Password').pressSequentially('wonderland')
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page.waitForURL(`${demo.origin.forum}/`)

        // Signed in on all four, the cart kept; a screenshot of each page.
        const signedIn: Record<string, string> = {}
        for (const site of ['forum', 'hub', 'shop', 'shop-de'] as const) {
          const shown = site === 'forum' ? await read(page) : await goTo(page, site)
          assert.deepEqual({ site: shown.site, user: shown.user, cart: shown.cart }, { site, user: 'alice', cart: 'teapot' }, why())
          signedIn[site] = shown.via
          await page.screenshot({ path: `${SHOTS}${world}-${site}.png`, fullPage: true })
        }
        // The hub took the session at the sign-in; the login walk linked every member by a pull.
        assert.deepEqual(signedIn, { forum: 'pull', hub: 'login', shop: 'pull', 'shop-de': 'pull' })

        // Signs out on shop-de: all four anonymous, the cart gone with the session.
        await clickAndLoad(page, page.getByTestId('logout'))
        assert.deepEqual(await read(page), { site: 'shop-de', user: 'anonymous', cart: '', via: 'pull' }, why())
        for (const site of ['shop', 'forum', 'hub'] as const) {
          const shown = await goTo(page, site)
          assert.deepEqual({ site: shown.site, user: shown.user, cart: shown.cart }, { site, user: 'anonymous', cart: '' }, why())
          assert.equal(await page.getByRole('link', { name: 'Sign in at the hub' }).count(), 1, `${site} offers the sign-in again`)
        }
        assert.deepEqual(SITES.length, 4)
      } finally {
        await p?.close()
      }
    })
  }
})
