/**
 * The cross-site matrix in Firefox ESR (puppeteer-core over WebDriver BiDi),
 * in its three cookie worlds: its default (Total Cookie Protection: the
 * push is partitioned away, the pull delivers), third-party cookies allowed
 * (the push delivers), and every cookie blocked (nothing is shared, nothing
 * loops). One Firefox process per world, a fresh user context per scenario.
 */
import { after, before, describe, test } from 'node:test'
import type { Engine } from '../helpers/browser-driver.js'
import { FIREFOX_WORLDS, launchFirefox, type FirefoxWorld } from '../helpers/firefox.js'
import { journey, noLoopWithCookiesOff, type Transport } from './scenarios.js'

const WORLDS: { world: FirefoxWorld; via?: Transport }[] = [
  { world: 'default', via: 'pull' },
  { world: 'third-party-allowed', via: 'push' },
  { world: 'cookies-blocked' },
]

describe('cross-site sharing in Firefox ESR', () => {
  for (const { world, via } of WORLDS) {
    describe(world, () => {
      let firefox: Engine
      before(async () => {
        firefox = await launchFirefox(`firefox (${world})`, FIREFOX_WORLDS[world])
      })
      after(() => firefox?.close())

      if (via === undefined) {
        test('4. with every cookie refused, each page loads with at most one bounce', () => noLoopWithCookiesOff(firefox))
        return
      }
      test(`1-3. an anonymous cart is shared (by ${via}), signing in reaches every site with it, signing out clears every site`, () => journey(firefox, via))
    })
  }
})
