import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

/** Debian's Chromium; `.ci/run` installs it on a fresh machine. */
export const CHROMIUM = '/usr/bin/chromium'

/** Launch flags that work on this kind of machine (see BROWSER-TESTING.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** The two cookie worlds every cross-site scenario runs in. */
export type CookieWorld = 'third-party-allowed' | 'third-party-blocked'

/**
 * A fresh browser context in the given world. Chromium here blocks
 * third-party cookies by default (like Safari, Firefox, Brave and incognito);
 * a persistent profile whose preferences allow them gives the other world.
 */
export async function openBrowser(world: CookieWorld): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ss-profile-'))
  // Preferences written before the first launch: one Chromium start per profile.
  // A fresh profile blocks third-party cookies already; say so explicitly rather than rely on a default.
  const allowed = world === 'third-party-allowed'
  mkdirSync(join(dir, 'Default'))
  writeFileSync(join(dir, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: allowed ? 0 : 1, block_third_party_cookies: !allowed } }))
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
  return { context, close: () => closeAndRemove(context, dir) }
}

async function closeAndRemove(context: BrowserContext, dir: string): Promise<void> {
  await context.close()
  rmSync(dir, { recursive: true, force: true })
}
