import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { bindingOf } from '../../src/member/bounce.js'
import { createDeployment, MEMBERS, ORIGINS, payloadOf, STATE_COOKIE } from './fixtures.js'

const RUNS = { numRuns: 100 }
/** Characters a header value may carry (what a browser or a client library can send at all). */
const headerChar = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c))
const headerString = fc.string({ unit: headerChar, maxLength: 80 })
const anyString = fc.string({ unit: 'binary', maxLength: 120 })
const b64url = fc.stringMatching(/^[A-Za-z0-9_-]{0,200}$/)
const cookieName = fc.constantFrom('__Host-ss', '__Host-ss-live', '__Host-ss-state', '__Host-ss-state-abcdefgh', '__Host-ss-csrf', '__Secure-ss-token', 'x', '')
const cookieHeader = fc.oneof(
  fc.array(fc.tuple(cookieName, fc.oneof(headerString, b64url)), { maxLength: 6 }).map((pairs) => pairs.map(([n, v]) => `${n}=${v}`).join('; ')),
  headerString,
)
const site = fc.constantFrom(...MEMBERS)

function assertNo5xx(response: Response, what: string): void {
  assert.ok(response.status >= 200 && response.status < 500, `${what}: ${response.status}`)
}

const navHeaders = { 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'cross-site', accept: 'text/html' }

describe('fuzz: bad input is a 4xx, never a 5xx or a store write', () => {
  test('random push file names, and real payloads with one character changed', async () => {
    const d = await createDeployment({ members: { 'shop-de': { alwaysReplace: true } } })
    const real = payloadOf(d.loaderUrls('shop', await d.seedSession(d.browser(), 'shop')).get('shop-de')!)
    const before = await d.counts()
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(anyString, b64url, fc.tuple(fc.nat({ max: real.length - 1 }), fc.constantFrom(...'AQgw_-9z')).map(([i, c]) => real.slice(0, i) + c + real.slice(i + 1))),
        site,
        fc.option(cookieHeader, { nil: undefined }),
        async (name, dst, cookie) => {
          if (name === real) return
          const r = await d.handle(`${ORIGINS[dst]}/_session/push/${encodeURIComponent(name)}.js`, {
            headers: { 'sec-fetch-dest': 'script', 'sec-fetch-mode': 'no-cors', referer: `${ORIGINS.shop}/`, ...(cookie ? { cookie } : {}) },
          })
          assertNo5xx(r, `push ${JSON.stringify(name)}`)
          assert.notEqual(r.status, 200, `push ${JSON.stringify(name)} accepted`)
        },
      ),
      RUNS,
    )
    assert.deepEqual(await d.counts(), before)
    assert.deepEqual(d.logs, [])
  })

  test('random accept p and return, with a state cookie and random others', async () => {
    const d = await createDeployment()
    const state = bindingOf('seed').replace(/.$/, 'A')
    const before = await d.counts()
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyString, b64url), fc.oneof(anyString, fc.constantFrom('/', '//evil', '/x?y', `${ORIGINS.forum}/`)), site, cookieHeader, fc.boolean(), async (p, back, dst, cookie, withState) => {
        const query = new URLSearchParams({ p, return: back })
        const r = await d.handle(`${ORIGINS[dst]}/_session/accept?${query}`, {
          headers: { ...navHeaders, cookie: withState ? `${STATE_COOKIE}abcdefgh=${state}; ${cookie}` : cookie },
        })
        assertNo5xx(r, `accept p=${JSON.stringify(p)} return=${JSON.stringify(back)}`)
        if (r.status === 303) assert.ok(!r.headers.getSetCookie().some((c) => /^__Host-ss=[^;]/.test(c)), 'never links')
      }),
      RUNS,
    )
    assert.deepEqual(await d.counts(), before)
    assert.deepEqual(d.logs, [])
  })

  test('random hub pull params: 4xx, or a 302 that at most starts one anonymous session', async () => {
    const d = await createDeployment()
    const dst = fc.oneof(fc.constantFrom('shop', 'forum', 'shop-de', 'hub', 'flask', 'evil'), anyString)
    const bind = fc.oneof(fc.constant(bindingOf('x')), b64url, anyString)
    const back = fc.oneof(fc.constantFrom('/', '/cart?x=1', '//evil.localhost', `${ORIGINS.forum}/t`), anyString)
    const walk = fc.oneof(fc.constantFrom('', 'forum', 'shop,shop-de', 'hub', 'evil'), anyString)
    await fc.assert(
      fc.asyncProperty(dst, bind, back, walk, fc.option(cookieHeader, { nil: undefined }), async (dstV, bindV, backV, walkV, cookie) => {
        const before = await d.counts()
        const query = new URLSearchParams({ dst: dstV, bind: bindV, return: backV, walk: walkV })
        const r = await d.handle(`${ORIGINS.hub}/pull?${query}`, { headers: { ...navHeaders, ...(cookie ? { cookie } : {}) } })
        assertNo5xx(r, `pull ${query}`)
        const after = await d.counts()
        if (r.status === 302) {
          assert.ok(after.sessions - before.sessions <= 1 && after.links - before.links <= 1)
          const accept = new URL(r.headers.get('location')!)
          assert.ok(MEMBERS.some((m) => accept.origin === ORIGINS[m]), `answers only to a member: ${accept.origin}`)
        } else assert.deepEqual(after, before, `a refused pull writes nothing (${r.status})`)
      }),
      RUNS,
    )
    assert.deepEqual(d.logs, [])
  })

  test('random cookie headers on pages and endpoints: no 5xx, no store write', async () => {
    const d = await createDeployment()
    await d.seedSession(d.browser(), 'shop')
    const before = await d.counts()
    const path = fc.constantFrom('/', '/cart?x=1', '/_session/accept?p=x&return=%2F', '/_session/sync?return=%2F', '/_session/push/AAAA.js', '/_session/nope')
    const kind = fc.constantFrom('navigate', 'script', 'fetch', 'image')
    await fc.assert(
      fc.asyncProperty(site, path, kind, cookieHeader, async (dst, p, k, cookie) => {
        const headers: Record<string, string> = {
          navigate: navHeaders,
          script: { 'sec-fetch-dest': 'script', 'sec-fetch-mode': 'no-cors', referer: `${ORIGINS.shop}/` },
          fetch: { 'sec-fetch-dest': 'empty', 'sec-fetch-mode': 'cors', origin: ORIGINS.shop },
          image: { 'sec-fetch-dest': 'image', 'sec-fetch-mode': 'no-cors' },
        }[k]
        const r = await d.handle(`${ORIGINS[dst]}${p}`, { headers: { ...headers, cookie } })
        assertNo5xx(r, `${dst}${p} cookie=${JSON.stringify(cookie)}`)
        const hub = await d.handle(`${ORIGINS.hub}/`, { headers: { ...navHeaders, cookie } })
        assertNo5xx(hub, `hub cookie=${JSON.stringify(cookie)}`)
      }),
      RUNS,
    )
    const after = await d.counts()
    assert.equal(after.sessions, before.sessions)
    assert.equal(after.links, before.links)
    // Two cookies of one name are refused and logged as such; anything else in the log is a bug.
    assert.deepEqual(d.logs.filter((line) => !line.includes('ERR_COOKIE_DUPLICATE')), [])
  })
})

