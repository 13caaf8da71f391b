/**
 * The cross-site matrix in WebKitGTK (Safari's engine, W3C WebDriver under
 * Xvfb) in its default: third-party cookies blocked, so the pull delivers.
 * Over plain http, as `npm start` runs the demo (first-party cookies not
 * `Secure`: WebKit drops every `Secure` cookie over http, even on
 * *.localhost), and over https with a certificate made at start (the
 * `__Host-`, `Secure` cookies of production). One WebKitWebDriver, a fresh
 * WebDriver session per scenario.
 */
import { after, before, describe, test } from 'node:test'
import type { Engine } from '../helpers/browser-driver.js'
import { launchWebKit } from '../helpers/webkit.js'
import { journey } from './scenarios.js'

describe('cross-site sharing in WebKitGTK', () => {
  let webkit: Engine
  before(async () => {
    webkit = await launchWebKit()
  })
  after(() => webkit?.close())

  for (const https of [false, true]) {
    describe(https ? 'https (Secure, __Host- cookies)' : 'plain http (as npm start)', () => {
      test('1-3. an anonymous cart is shared (by pull), signing in reaches every site with it, signing out clears every site', () => journey(webkit, 'pull', { https }))
    })
  }
})
