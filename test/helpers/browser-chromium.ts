/**
 * Chromium (Debian's, through playwright-core) behind the engine-neutral
 * driver. Chromium's cookie settings live in the profile, so each profile
 * is a persistent context of its own with its preferences written before
 * the first start (see BROWSER-TESTING.md).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import type { Engine, JarCookie, Profile, Tab } from './browser-driver.js'
import { CHROMIUM, CHROMIUM_ARGS, type CookieWorld } from './browser.js'

function tab(page: Page, context: BrowserContext): Tab {
  return {
    goto: async (url) => void (await page.goto(url, { waitUntil: 'load' })),
    url: async () => page.url(),
    evaluate: <T>(expression: string) => page.evaluate(expression) as Promise<T>,
    click: (selector) => page.click(selector),
    type: (selector, text) => page.locator(selector).first().pressSequentially(text),
    cookies: async () => (await context.cookies()).map(({ name, value, domain, secure }): JarCookie => ({ name, value, domain, secure })),
  }
}

/**
 * Chromium in a cookie world, with extra command-line flags (e.g. a
 * feature switch), a fresh persistent profile per `open()`.
 *
 * @example
 * ```ts
 * const chromium = chromiumEngine('third-party-blocked', ['--enable-features=DIPS:…'])
 * const { tab, close } = await chromium.open()
 * ```
 */
export function chromiumEngine(world: CookieWorld, extraArgs: string[] = []): Engine {
  const allowed = world === 'third-party-allowed'
  return {
    name: `chromium (${world})`,
    async open(): Promise<Profile> {
      const dir = mkdtempSync(join(tmpdir(), 'ss-profile-'))
      mkdirSync(join(dir, 'Default'))
      writeFileSync(join(dir, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: allowed ? 0 : 1, block_third_party_cookies: !allowed } }))
      let context: BrowserContext
      try {
        context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs], headless: true, ignoreHTTPSErrors: true })
      } catch (err) {
        rmSync(dir, { recursive: true, force: true })
        throw err
      }
      const page = context.pages()[0] ?? (await context.newPage())
      return {
        tab: tab(page, context),
        async close() {
          try {
            await context.close()
          } finally {
            rmSync(dir, { recursive: true, force: true })
          }
        },
      }
    },
    close: async () => undefined,
  }
}
