import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import fc from 'fast-check'
import { patchSession } from '../../src/sessions/patch.js'
import { createDeployment, MEMBERS, ORIGINS, type Browser, type Deployment, type MemberName } from '../member/fixtures.js'

/**
 * DESIGN.md, "Properties": bad input yields a clear 4xx, never a 5xx, a
 * crash, or a changed session. Every endpoint of a whole deployment (hub,
 * a subdomain member, two cross-site members, one memory store), driven
 * through hub.fetch / member.handle, with random and mutated paths, query
 * strings, cookies, headers and bodies, while a signed-in victim's session
 * is watched. The fuzzer never holds the victim's real cookie values, only
 * truncated, mutated, doubled or duplicated copies of them.
 */

const RUNS = 100
type Site = 'hub' | MemberName
interface Endpoint {
  site: Site
  path: string
  methods: string[]
  /** Paths under `path` to pick from before the suffix. */
  sub?: string[]
}

const ENDPOINTS: Record<string, Endpoint> = {
  'hub home': { site: 'hub', path: '/', methods: ['GET'] },
  'hub login': { site: 'hub', path: '/login', methods: ['GET', 'POST'] },
  'hub logout': { site: 'hub', path: '/logout', methods: ['POST'] },
  'hub logout/everywhere': { site: 'hub', path: '/logout/everywhere', methods: ['POST'] },
  'hub refresh': { site: 'hub', path: '/refresh', methods: ['GET'] },
  'hub pull': { site: 'hub', path: '/pull', methods: ['GET'] },
  'hub forward-auth': { site: 'hub', path: '/forward-auth', methods: ['GET', 'HEAD', 'POST'] },
  'hub JWKS': { site: 'hub', path: '/.well-known/jwks.json', methods: ['GET'] },
  'hub member endpoints': { site: 'hub', path: '/_session/', methods: ['GET', 'POST'], sub: ['push/AAAA.js', 'accept', 'sync', 'logout'] },
  'member push': { site: 'shop-de', path: '/_session/push/', methods: ['GET'] },
  'member accept': { site: 'shop', path: '/_session/accept', methods: ['GET'] },
  'member sync': { site: 'forum', path: '/_session/sync', methods: ['GET'] },
  'member logout': { site: 'shop', path: '/_session/logout', methods: ['POST'] },
  'member pages': { site: 'forum', path: '/', methods: ['GET', 'POST', 'HEAD'] },
}

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c))
const headerText = (maxLength = 80) => fc.string({ unit: printable, maxLength })
const anyText = fc.string({ unit: 'binary', maxLength: 100 })
const b64url = fc.stringMatching(/^[A-Za-z0-9_-]{0,120}$/)
const huge = fc.integer({ min: 4_000, max: 12_000 }).chain((n) => fc.constantFrom('A', '%', '=', ';').map((c) => c.repeat(n)))

/** Real values the fuzzer may mangle (never send as they are). */
interface Reals {
  /** Every cookie value the victim holds (each site's session cookie, its live companion, the token). */
  values: string[]
  token: string
}

/** A real value, changed: cut short, one character replaced, doubled, or with junk appended. */
function mutated(real: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.nat({ max: Math.max(0, real.length - 1) }).map((n) => real.slice(0, n)),
    fc.tuple(fc.nat({ max: Math.max(0, real.length - 1) }), fc.constantFrom(...'Aa0_-.=%')).map(([i, c]) => real.slice(0, i) + (real[i] === c ? 'B' : c) + real.slice(i + 1)),
    fc.constant(real + real),
    headerText(10).filter((s) => s.length > 0).map((s) => real + s),
  )
}

function cookieArb(reals: Reals): fc.Arbitrary<string | undefined> {
  const names = fc.oneof(fc.constantFrom('__Host-ss', '__Host-ss-live', '__Secure-ss-token', '__Host-ss-state', '__Host-ss-tried', '__Host-ss-csrf', 'ss', 'ss-token', ''), headerText(12))
  const value = fc.oneof(fc.constantFrom(...reals.values).chain(mutated), b64url, headerText(), huge)
  const pairs = fc.array(fc.tuple(names, value), { maxLength: 6 }).map((ps) => ps.map(([n, v]) => `${n}=${v}`).join('; '))
  return fc.option(fc.oneof({ weight: 4, arbitrary: pairs }, { weight: 1, arbitrary: headerText(200) }), { nil: undefined })
}

const PARAMS = ['return', 'dst', 'bind', 'walk', 'p', 'redirect', 'src', 'state', 'next', 'everywhere', 'csrf']
const paramValue = fc.oneof(
  fc.constantFrom('/', '//evil.localhost', 'https://evil.localhost/', 'javascript:alert(1)', ...Object.values(ORIGINS), 'shop', 'forum', 'shop-de', 'hub', '1', ''),
  anyText,
  b64url,
  huge,
)
const queryArb = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PARAMS), headerText(8)), paramValue), { maxLength: 5 })

/** What is appended to an endpoint's path: mostly nothing, sometimes junk. */
const suffixArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~%/-]{1,60}$/) },
  { weight: 1, arbitrary: fc.constantFrom('/', '//', '/..', '/../login', '%2e%2e/', '.js', 'x.js', '%00', '%ZZ', '/%2F%2Fevil') },
)

const origins = fc.oneof(fc.constantFrom(...Object.values(ORIGINS), 'null', 'http://evil.localhost:6666', ''), headerText(40))
const fetchHeaders = fc.record(
  {
    origin: origins,
    referer: fc.oneof(origins.map((o) => `${o}/`), headerText(60)),
    'sec-fetch-site': fc.oneof(fc.constantFrom('none', 'same-origin', 'same-site', 'cross-site'), headerText(12)),
    'sec-fetch-mode': fc.oneof(fc.constantFrom('navigate', 'no-cors', 'cors', 'same-origin'), headerText(12)),
    'sec-fetch-dest': fc.oneof(fc.constantFrom('document', 'script', 'image', 'iframe', 'empty'), headerText(12)),
    'content-type': fc.oneof(fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'multipart/form-data; boundary=x', 'text/plain'), headerText(40)),
    accept: fc.constantFrom('text/html', '*/*', 'application/json'),
    'user-agent': fc.constantFrom('Mozilla/5.0 Chrome/126.0', 'Googlebot/2.1', 'curl/8'),
  },
  { requiredKeys: [] },
)

function authorizationArb(reals: Reals): fc.Arbitrary<string | undefined> {
  return fc.option(fc.oneof(mutated(reals.token).map((t) => `Bearer ${t}`), headerText(60).map((t) => `Bearer ${t}`), headerText(60)), { nil: undefined })
}

const bodyArb = fc.oneof(
  fc.array(fc.tuple(fc.oneof(fc.constantFrom('csrf', 'username', 'password', 'return'), headerText(8)), fc.oneof(fc.constantFrom('alice', 'wonderland', 'x', ''), anyText)), { maxLength: 5 }).map(
    (pairs) => new URLSearchParams(pairs).toString(),
  ),
  anyText,
  fc.constant('{"username":"alice","password":"wonderland"}'),
  huge,
)

/** The victim's session as every site sees it: ids, how linked, user, data. */
async function victimView(d: Deployment, victim: Browser): Promise<unknown> {
  const out: Record<string, unknown> = {}
  for (const site of ['hub', ...MEMBERS] as const) {
    const seen = await d.sessionOf(victim, site)
    const data = seen ? (await d.store.getSession(seen.id, d.clock.now))?.data : undefined
    out[site] = seen ? { ...seen, data } : null
  }
  return out
}

describe('fuzz: every endpoint, bad input is never a 5xx, a throw or a changed session', () => {
  let d: Deployment
  let victim: Browser
  let reals: Reals
  let victimBefore: unknown

  before(async () => {
    d = await createDeployment()
    victim = d.browser()
    const { response } = await victim.signIn()
    assert.equal(response.status, 200, 'the victim is signed in')
    const hubSession = await d.sessionOf(victim, 'hub')
    assert.ok(hubSession?.user, 'signed in at the hub')
    await patchSession(d.store, hubSession.id, { cart: ['book'] })
    for (const m of MEMBERS) assert.equal((await d.sessionOf(victim, m))?.id, hubSession.id, `${m} shares the session`)
    const values = new Set<string>()
    for (const site of ['hub', ...MEMBERS] as const) {
      for (const name of ['__Host-ss', '__Host-ss-live', '__Secure-ss-token']) {
        const value = victim.cookie(ORIGINS[site], name)
        if (value) values.add(value)
      }
    }
    const token = victim.cookie(ORIGINS.forum, '__Secure-ss-token')
    assert.ok(token, 'the victim holds a parent-domain token')
    reals = { values: [...values], token }
    victimBefore = await victimView(d, victim)
  })

  for (const [name, endpoint] of Object.entries(ENDPOINTS)) {
    test(name, async (t) => {
      const statuses: Record<number, number> = {}
      const request = fc.record({
        method: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...endpoint.methods) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH') }),
        suffix: endpoint.path.endsWith('/push/')
          ? fc.oneof(b64url.map((s) => `${s}.js`), suffixArb)
          : endpoint.sub
            ? fc.tuple(fc.constantFrom(...endpoint.sub), suffixArb).map(([a, b]) => a + b)
            : suffixArb,
        query: queryArb,
        cookie: cookieArb(reals),
        headers: fetchHeaders,
        authorization: authorizationArb(reals),
        body: bodyArb,
      })
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          // The victim's exact cookie value would be a valid request (e.g. a logout), not an attack.
          if (r.cookie !== undefined && r.cookie.split(/;\s*/).some((pair) => reals.values.includes(pair.slice(pair.indexOf('=') + 1)))) return
          const query = r.query.length === 0 ? '' : `?${new URLSearchParams(r.query)}`
          const url = `${ORIGINS[endpoint.site]}${endpoint.path}${r.suffix}${query}`
          const headers: Record<string, string> = { ...r.headers }
          if (r.cookie !== undefined) headers.cookie = r.cookie
          if (r.authorization !== undefined) headers.authorization = r.authorization
          const countsBefore = await d.counts()
          const logsBefore = d.logs.length
          let response: Response
          try {
            response = await d.handle(url, { method: r.method, headers, ...(r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH' ? { body: r.body } : {}) })
            await response.arrayBuffer()
          } catch (err) {
            assert.fail(`${r.method} ${url} threw: ${(err as Error)?.stack ?? err}`)
          }
          statuses[response.status] = (statuses[response.status] ?? 0) + 1
          const what = `${r.method} ${url.slice(0, 200)} → ${response.status}`
          assert.ok(response.status >= 200 && response.status < 500, what)
          // Two cookies of one of our names are refused and logged with their code; anything else logged is a bug.
          assert.deepEqual(d.logs.slice(logsBefore).filter((l) => !l.includes('ERR_COOKIE_DUPLICATE')), [], `${what}: nothing unexpected logged`)
          if (response.status >= 400) assert.deepEqual(await d.counts(), countsBefore, `${what}: a refusal writes nothing`)
          assert.deepEqual(await victimView(d, victim), victimBefore, `${what}: the victim's session is untouched`)
        }),
        { numRuns: RUNS },
      )
      t.diagnostic(`statuses: ${JSON.stringify(statuses)}`)
    })
  }
})
