/**
 * An engine-neutral browser driver: the few things a scenario does with a
 * browser (go to a page, read it, type, click, look at the cookie jar), so
 * the cross-site scenarios are written once and run in Chromium
 * (playwright-core), Firefox (puppeteer-core over WebDriver BiDi) and
 * WebKitGTK (W3C WebDriver). Each engine's file implements {@link Engine};
 * the person-like actions below (`visit`, `addToCart`, `signIn`…) are built
 * on {@link Tab} alone.
 */

/** A cookie as a browser's jar holds it. */
export interface JarCookie {
  name: string
  value: string
  domain: string
  secure: boolean
}

/** One page of a browser profile. */
export interface Tab {
  /** Navigate and wait for the final document (after every redirect) to load. */
  goto(url: string): Promise<void>
  /** The page's current URL. */
  url(): Promise<string>
  /** Evaluate a JavaScript expression in the page; its value, as JSON. */
  evaluate<T>(expression: string): Promise<T>
  /** Click the first element matching a CSS selector, as a user would. */
  click(selector: string): Promise<void>
  /** Type text into the first element matching a CSS selector, as a user would. */
  type(selector: string, text: string): Promise<void>
  /**
   * The first-party cookies the profile holds: every site's in Chromium and
   * Firefox, the current document's in WebKit (classic WebDriver sees no more).
   */
  cookies(): Promise<JarCookie[]>
}

/** A fresh, isolated browser profile (a context, a user context, a session) with one tab. */
export interface Profile {
  tab: Tab
  close(): Promise<void>
}

/** A running browser engine in one cookie world; profiles are opened from it. */
export interface Engine {
  /** e.g. `firefox (default)`, for test names and messages. */
  name: string
  open(): Promise<Profile>
  close(): Promise<void>
}

/** What a demo page shows. */
export interface Shown {
  site: string
  user: string
  cart: string
  via: string
}

/** Poll `check` every `intervalMs` (50) until it returns true; throw `message` after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean>, message: string, timeoutMs = 15_000, intervalMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms: ${message}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** Read the data-testid'd fields of the demo page in the tab. */
export async function read(tab: Tab): Promise<Shown> {
  return tab.evaluate<Shown>(
    `(() => { const t = (id) => (document.querySelector('[data-testid="' + id + '"]')?.textContent ?? '').trim(); return { site: t('site'), user: t('user'), cart: t('cart'), via: t('via') } })()`,
  )
}

/** Go to a site's page and read it. */
export async function visit(tab: Tab, origin: string): Promise<Shown> {
  await tab.goto(`${origin}/`)
  return read(tab)
}

/**
 * Click something that loads a new document (a link, a form post and its
 * redirects) and wait until the new document has loaded: the old document
 * is marked first, so "loaded" cannot be the old page.
 */
export async function clickAndLoad(tab: Tab, selector: string): Promise<void> {
  await tab.evaluate(`(window.__ssOldDocument = true)`)
  await tab.click(selector)
  await waitUntil(
    // Not the initial about:blank a browser may show while it swaps processes for a cross-site navigation.
    () => tab.evaluate<boolean>(`window.__ssOldDocument !== true && document.readyState === 'complete' && location.href !== 'about:blank'`),
    `a new document after clicking ${selector} (now at ${await tab.url().catch(() => '?')})`,
  )
}

/** Put an item in the cart with the shop's form, as a person would. */
export async function addToCart(tab: Tab, item: string): Promise<void> {
  await tab.type('[data-testid="item"]', item)
  await clickAndLoad(tab, '[data-testid="add"]')
}

/**
 * Sign in through the hub's real form from the current page's "Sign in at
 * the hub" link, and wait to land back at `landing` (the login walk through
 * every member happens on the way).
 */
export async function signIn(tab: Tab, landing: string, user = { username: 'alice', password: 'wonderland' }): Promise<void> {
  await clickAndLoad(tab, '[data-testid="login"]')
  await tab.type('#username', user.username)
  await tab.type('#password', user.password)
  await clickAndLoad(tab, 'button[type="submit"]')
  const at = await tab.url()
  if (at !== landing) throw new Error(`signing in landed on ${at}, not ${landing}`)
}

/** Sign out with the current page's button. */
export async function signOut(tab: Tab): Promise<void> {
  await clickAndLoad(tab, '[data-testid="logout"]')
}
