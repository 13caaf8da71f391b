/**
 * Writes docs/screenshots/sessions-page.png (and -phone.png, a phone-sized
 * window): "Your sessions" for alice with three devices on the demo's
 * sites, in Debian's Chromium. Not part of
 * `npm test` (it is a picture for people); run it after changing the page:
 *
 *   node --import tsx test/sessions/sessions-page.screenshot.ts
 */
import { chromium } from 'playwright-core'
import { linkSite } from '../../src/sessions/link.js'
import { resolveCookie } from '../../src/sessions/resolve.js'
import type { LinkVia } from '../../src/stores/store.js'
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser.js'
import { ALICE, startTestHub } from '../helpers/hub.js'
import { CookieJar, loginOverHttp } from '../helpers/http.js'

const SHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const DEVICES: Array<{ ua: string; address: string; signedIn: number; lastSeen: number; sites: Array<[string, LinkVia, number]> }> = [
  {
    ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    address: '203.0.113.7',
    signedIn: 3 * DAY + 2 * HOUR,
    lastSeen: 0,
    sites: [['forum', 'pull', 1 * MINUTE], ['shop', 'push', 2 * MINUTE], ['shop-de', 'pull', 2 * MINUTE]],
  },
  {
    ua: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
    address: '198.51.100.23',
    signedIn: 26 * HOUR,
    lastSeen: 40 * MINUTE,
    sites: [['shop', 'pull', 3 * MINUTE], ['forum', 'pull', 5 * HOUR]],
  },
  {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    address: '192.0.2.44',
    signedIn: 5 * HOUR,
    lastSeen: 2 * HOUR,
    sites: [['shop-de', 'push', 1 * MINUTE]],
  },
]

const real = Date.now()
let clock = real
const th = await startTestHub({
  title: 'Acme',
  trustProxy: true,
  now: () => clock,
  session: { idleTimeoutMs: 7 * DAY },
  sites: [
    { name: 'forum', origin: 'http://forum.acme.localhost:4001' },
    { name: 'shop', origin: 'http://shop.localhost:4002' },
    { name: 'shop-de', origin: 'http://shop-de.localhost:4003' },
  ],
})
try {
  let laptop: CookieJar | undefined
  for (const device of DEVICES) {
    clock = real - device.signedIn
    const jar = new CookieJar()
    await loginOverHttp(th, jar, ALICE, { 'user-agent': device.ua, 'x-forwarded-for': device.address })
    const session = (await resolveCookie(th.store, 'hub', jar.get('__Host-ss') ?? jar.get('ss'), clock))!
    for (const [site, via, after] of device.sites) await linkSite(th.store, session, site, clock + after, via)
    await th.store.touchSession(session.id, real - device.lastSeen, real + DAY)
    laptop ??= jar
  }
  clock = real
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
  try {
    for (const [name, viewport] of [['sessions-page', { width: 900, height: 760 }], ['sessions-page-phone', { width: 390, height: 760 }]] as const) {
      const context = await browser.newContext({ viewport, deviceScaleFactor: 1 })
      await context.addCookies([...laptop!.cookies].map(([cookie, value]) => ({ name: cookie, value, url: th.origin })))
      const page = await context.newPage()
      const response = await page.goto(`${th.origin}/sessions`)
      if (response?.status() !== 200) throw new Error(`GET /sessions answered ${response?.status()}`)
      await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true })
      await context.close()
      console.log(`wrote ${SHOTS}${name}.png`)
    }
  } finally {
    await browser.close()
  }
} finally {
  await th.close()
}
