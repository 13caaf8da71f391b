import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { createDeployment, LIVE_COOKIE, ORIGINS, SESSION_COOKIE, STATE_COOKIE, type Browser, type Deployment } from '../member/fixtures.js'

/**
 * Never a loop, whatever subset of our cookies a browser holds or drops.
 * A browser starts with any subset of a site's cookies (live, stale or
 * garbage values), may refuse to store any subset of our cookie names for
 * good (and so never deletes them either), and may block third-party
 * cookies or have cookies off. Every navigation must end on its page
 * within one bounce, and the second visit of a page bounces no more than
 * the first.
 */
const TOKEN_COOKIE = '__Secure-ss-token'
const HOPS = 4 // page → hub /pull → accept → page

type Value = 'live' | 'stale' | 'garbage' | 'none'
const value = fc.constantFrom<Value>('live', 'stale', 'garbage', 'none')
const names = [SESSION_COOKIE, LIVE_COOKIE, STATE_COOKIE, TOKEN_COOKIE, '__Host-ss-pushed'] as const

const scenario = fc.record({
  site: fc.constantFrom('forum', 'shop', 'shop-de' as const),
  session: value,
  live: value,
  state: fc.constantFrom('pending', 'record', 'garbage', 'none'),
  token: value,
  hub: fc.constantFrom('signed-in', 'anonymous', 'none'),
  refused: fc.subarray([...names]),
  cookies: fc.constantFrom('on', 'third-party-blocked', 'off'),
  anonymous: fc.boolean(),
})

async function setUp(d: Deployment, s: Scenario): Promise<Browser> {
  const refused = new Set<string>(s.refused)
  const b = d.browser({ cookies: s.cookies !== 'off', thirdPartyCookies: s.cookies === 'on' })
  if (s.cookies === 'off') return b
  const origin = ORIGINS[s.site]
  if (s.hub !== 'none') await d.seedSession(b, 'hub', { user: s.hub === 'signed-in' ? { sub: 'u-alice', username: 'alice' } : null })
  // A session of this site, then made stale or garbage as the scenario says.
  if (s.session !== 'none' || s.live !== 'none') {
    const id = await d.seedSession(b, s.site)
    const [liveValue, sessionValue] = [b.cookie(origin, LIVE_COOKIE)!, b.cookie(origin, SESSION_COOKIE)!]
    b.deleteCookie(origin, SESSION_COOKIE)
    b.deleteCookie(origin, LIVE_COOKIE)
    if (s.session === 'live' || s.session === 'stale') b.setCookie(origin, SESSION_COOKIE, sessionValue)
    if (s.session === 'garbage') b.setCookie(origin, SESSION_COOKIE, 'garbage!')
    if (s.live === 'live' || s.live === 'stale') b.setCookie(origin, LIVE_COOKIE, liveValue, 'none')
    if (s.live === 'garbage') b.setCookie(origin, LIVE_COOKIE, 'x'.repeat(43), 'none')
    if (s.session === 'stale' || s.live === 'stale') await d.store.deleteSession(id)
  }
  if (s.state === 'pending') b.setCookie(origin, `${STATE_COOKIE}pending1`, 'P'.repeat(43))
  if (s.state === 'record') b.setCookie(origin, `${STATE_COOKIE}record01`, 't.someearlierreason')
  if (s.state === 'garbage') b.setCookie(origin, `${STATE_COOKIE}garbage1`, '%%%')
  if (s.token !== 'none') {
    const signer = d.browser()
    await signer.signIn('mallory', 'hunter2')
    const token = signer.cookie(ORIGINS.forum, TOKEN_COOKIE)!
    if (s.token === 'stale') await signer.navigate(`${ORIGINS.hub}/`) // keeps the token; its session is ended below
    b.receive(ORIGINS.hub, [`${TOKEN_COOKIE}=${s.token === 'garbage' ? 'ey.garbage.x' : token}; Domain=acme.localhost; Path=/; Secure; HttpOnly; SameSite=Lax`])
    if (s.token === 'stale') await d.store.deleteSession((await d.sessionOf(signer, 'hub'))!.id)
  }
  // From now on the browser keeps none of the refused names: it neither stores nor deletes them.
  b.refuse = (name) => refused.has(name) || (refused.has(STATE_COOKIE) && name.startsWith(STATE_COOKIE))
  return b
}

type Scenario = {
  site: 'forum' | 'shop' | 'shop-de'
  session: Value
  live: Value
  state: 'pending' | 'record' | 'garbage' | 'none'
  token: Value
  hub: 'signed-in' | 'anonymous' | 'none'
  refused: (typeof names)[number][]
  cookies: 'on' | 'third-party-blocked' | 'off'
  anonymous: boolean
}

describe('loop freedom over cookie subsets (property)', () => {
  test('every navigation ends on its page within one bounce; visiting again never bounces more', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s: Scenario) => {
        const d = await createDeployment({ hub: { anonymous: s.anonymous }, members: { forum: { token: { audience: 'acme.localhost' } } } })
        const b = await setUp(d, s)
        const origin = ORIGINS[s.site]
        const lengths: number[] = []
        for (const [path, from] of [['/a', 'https://evil.localhost:6666'], ['/b', `${origin}/a`], ['/c', ORIGINS.hub], ['/a', undefined]] as const) {
          const { response, chain } = await b.navigate(`${origin}${path}`, { ...(from ? { from } : {}), maxHops: 12 })
          assert.equal(response.status, 200, `${JSON.stringify(s)}: ${chain.join(' → ')}`)
          assert.ok(chain.length <= HOPS, `${JSON.stringify(s)}: ${chain.join(' → ')}`)
          lengths.push(chain.length)
        }
        // A browser that keeps our state cookies keeps the record of its pulls: after the first
        // visit, later visits bounce at most once more in all (a cookieless one: once per visit from elsewhere).
        if (s.cookies !== 'off' && !s.refused.includes(STATE_COOKIE)) assert.ok(lengths.slice(1).filter((n) => n > 1).length <= 1, `${JSON.stringify(s)}: ${lengths}`)
      }),
      { numRuns: 150 },
    )
  })
})

