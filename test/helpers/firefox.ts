/**
 * Firefox ESR driven by puppeteer-core over WebDriver BiDi: one Firefox
 * process per set of preferences (cookie behaviour is a browser-wide
 * preference), a fresh user context (its own cookie jar) per profile.
 */
import { existsSync } from 'node:fs'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import type { Engine, JarCookie, Profile, Tab } from './browser-driver.js'

/** Debian's Firefox ESR; scripts/setup.sh installs it. */
export const FIREFOX = '/usr/bin/firefox-esr'

/** True when Firefox ESR is installed. */
export function firefoxInstalled(): boolean {
  return existsSync(FIREFOX)
}

/**
 * Firefox's cookie worlds: its default (Total Cookie Protection: a cookie a
 * cross-site script sets is partitioned and never reaches the site as a
 * first party), third-party cookies allowed (`cookieBehavior` 0), every
 * cookie blocked (`cookieBehavior` 2).
 */
export type FirefoxWorld = 'default' | 'third-party-allowed' | 'cookies-blocked'

/** The preferences of each world. */
export const FIREFOX_WORLDS: Record<FirefoxWorld, Record<string, unknown>> = {
  default: {},
  'third-party-allowed': { 'network.cookie.cookieBehavior': 0 },
  'cookies-blocked': { 'network.cookie.cookieBehavior': 2 },
}

/** Preferences that keep Firefox off the (closed) outside network and quick to start. */
const QUIET: Record<string, unknown> = {
  'app.update.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'extensions.update.enabled': false,
}

function tab(page: Page, browserContext: { cookies(): Promise<{ name: string; value: string; domain: string; secure: boolean }[]> }): Tab {
  return {
    goto: async (url) => void (await page.goto(url, { waitUntil: 'load' })),
    url: async () => page.url(),
    evaluate: <T>(expression: string) => page.evaluate(expression) as Promise<T>,
    click: (selector) => page.click(selector),
    type: (selector, text) => page.type(selector, text),
    cookies: async () => (await browserContext.cookies()).map(({ name, value, domain, secure }): JarCookie => ({ name, value, domain, secure })),
  }
}

/**
 * Firefox ESR with extra preferences (a world's, or bounce-tracking
 * protection's), headless.
 *
 * @example
 * ```ts
 * const firefox = await launchFirefox('firefox (default)', FIREFOX_WORLDS.default)
 * const { tab, close } = await firefox.open()
 * ```
 */
export async function launchFirefox(name: string, prefs: Record<string, unknown>): Promise<Engine> {
  const browser: Browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    acceptInsecureCerts: true,
    extraPrefsFirefox: { ...QUIET, ...prefs },
  })
  return {
    name,
    async open(): Promise<Profile> {
      const context = await browser.createBrowserContext()
      const page = await context.newPage()
      return { tab: tab(page, context), close: () => context.close() }
    },
    close: () => browser.close(),
  }
}
