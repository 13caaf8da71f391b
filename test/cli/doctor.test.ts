import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { newConfig, writeConfig, type DeploymentConfig } from '../../src/config/config-file.js'
import { diagnose, type Finding } from '../../src/config/doctor.js'
import type { SiteConfig } from '../../src/sites/config.js'
import { runCli } from './run-cli.js'

/** A fresh configuration (new keys, sqlite store) with the given hub and sites. */
async function config(origin: string, parentDomain: string | undefined, sites: SiteConfig[] = []): Promise<DeploymentConfig> {
  const c = await newConfig({ origin, ...(parentDomain ? { parentDomain } : {}) })
  c.sites = sites.map((site) => ({ ...site }))
  return c
}

const DEMO_SITES: SiteConfig[] = [
  { name: 'forum', origin: 'http://forum.acme.localhost:4001', kind: 'subdomain' },
  { name: 'shop', origin: 'http://shop.localhost:4002', kind: 'cross-site' },
  { name: 'shop-de', origin: 'http://shop-de.localhost:4003', kind: 'cross-site' },
]
const demoLayout = () => config('http://auth.acme.localhost:4000', 'acme.localhost', DEMO_SITES)

const productionLayout = () =>
  config('https://auth.acme.com', 'acme.com', [
    { name: 'forum', origin: 'https://forum.acme.com', kind: 'subdomain' },
    { name: 'wiki', origin: 'https://wiki.acme.com', kind: 'subdomain', member: false },
    { name: 'shop', origin: 'https://shop.com', kind: 'cross-site' },
    { name: 'shop-de', origin: 'https://shop.de', kind: 'cross-site' },
  ])

/** Whether a finding is one of the layout warnings (no sites; no site on the hub's domain) that many small test files trigger. */
const layoutWarning = (f: Finding) => f.level === 'warning' && /^no sites are configured|^no site on the hub's domain/.test(f.problem)

/** The findings of a configuration, without the layout warnings (tested on their own below). */
async function diagnoseSetting(c: DeploymentConfig): Promise<Finding[]> {
  return (await diagnose(c)).filter((f) => !layoutWarning(f))
}

/** The one finding the doctor reports (besides the layout warnings), asserting there is exactly one. */
async function onlyFinding(c: DeploymentConfig): Promise<Finding> {
  const findings = await diagnoseSetting(c)
  assert.equal(findings.length, 1, `expected exactly one finding, got ${JSON.stringify(findings, null, 2)}`)
  const [finding] = findings
  assert.ok(finding!.problem.length > 10, 'the problem is explained')
  assert.ok(finding!.fix.length > 10, 'the fix is explained')
  return finding!
}

describe('doctor: good configurations have no findings', () => {
  test('the demo layout on *.localhost (plain http is a secure context there)', async () => {
    assert.deepEqual(await diagnose(await demoLayout()), [])
  })

  test('an https production layout: auth.acme.com, forum.acme.com, a token-only wiki, shop.com, shop.de', async () => {
    assert.deepEqual(await diagnose(await productionLayout()), [])
  })

  test('registrable domains under co.uk: parentDomain acme.co.uk, and shop.co.uk is another site', async () => {
    const c = await config('https://auth.acme.co.uk', 'acme.co.uk', [
      { name: 'forum', origin: 'https://forum.acme.co.uk', kind: 'subdomain' },
      { name: 'shop', origin: 'https://shop.co.uk', kind: 'cross-site' },
    ])
    assert.deepEqual(await diagnose(c), [])
  })

  test('a parent domain equal to the hub host, with a leading dot, or in capitals is accepted', async () => {
    for (const parent of ['acme.com', '.acme.com', 'ACME.com']) {
      assert.deepEqual(await diagnose(await config('https://acme.com', parent, [{ name: 'www', origin: 'https://www.acme.com' }])), [], parent)
    }
  })

  test('one site beside the hub on its domain, no parent domain: fine', async () => {
    assert.deepEqual(await diagnose(await config('https://auth.acme.com', undefined, [{ name: 'www', origin: 'https://www.acme.com' }])), [])
  })
})

describe('doctor: layout warnings', () => {
  test('no sites at all is a warning that says how to add one', async () => {
    const findings = await diagnose(await config('https://auth.acme.com', undefined))
    assert.equal(findings.length, 1, JSON.stringify(findings))
    assert.equal(findings[0]!.level, 'warning')
    assert.equal(findings[0]!.setting, 'sites')
    assert.match(findings[0]!.problem, /no sites are configured/)
    assert.match(findings[0]!.fix, /shared-session sites add/)
  })

  test("a hub on a domain no visitor uses: tracking protection will delete its cookies; the fix says where to put it", async () => {
    const c = await config('https://auth.sso-provider.net', undefined, [
      { name: 'shop', origin: 'https://shop.com' },
      { name: 'shop-de', origin: 'https://shop.de' },
    ])
    const findings = await diagnose(c)
    assert.equal(findings.length, 1, JSON.stringify(findings))
    const [f] = findings
    assert.equal(f!.level, 'warning')
    assert.equal(f!.setting, 'hub.origin')
    assert.match(f!.problem, /no site on the hub's domain sso-provider\.net.*tracking protection/)
    assert.match(f!.fix, /https:\/\/auth\.shop\.com beside https:\/\/shop\.com/)
  })

  test('the demo layout has a site on the hub domain (forum.acme.localhost) and no warning', async () => {
    const c = await demoLayout()
    c.sites = c.sites.filter((s) => s.name !== 'forum')
    assert.deepEqual((await diagnose(c)).map((f) => f.setting), ['hub.origin'], 'without the forum the warning appears')
  })
})

describe('doctor: every bad setting is caught with its own setting and message', () => {
  for (const [origin, parent, suggestion] of [
    ['https://auth.acme.com', 'com', 'acme.com'],
    ['https://auth.acme.co.uk', 'co.uk', 'acme.co.uk'],
    ['https://auth.github.io', 'github.io', 'auth.github.io'],
    ['http://auth.acme.localhost:4000', 'localhost', 'acme.localhost'],
  ] as const) {
    test(`a public-suffix parent domain: ${parent}`, async () => {
      const f = await onlyFinding(await config(origin, parent))
      assert.equal(f.level, 'error')
      assert.equal(f.setting, 'hub.parentDomain')
      assert.match(f.problem, /public suffix/)
      assert.ok(f.problem.includes(`Domain=${parent}`), f.problem)
      assert.ok(f.fix.includes(`"${suggestion}"`), `the fix suggests ${suggestion}: ${f.fix}`)
    })
  }

  for (const parent of ['acme.org', 'cme.com', 'forum.acme.com', 'other.localhost']) {
    test(`a parent domain that does not contain the hub host: ${parent}`, async () => {
      const f = await onlyFinding(await config('https://auth.acme.com', parent))
      assert.equal(f.level, 'error')
      assert.equal(f.setting, 'hub.parentDomain')
      assert.match(f.problem, /does not contain the hub's host "auth\.acme\.com"/)
      assert.match(f.fix, /acme\.com/)
    })
  }

  test('a hub on plain http off localhost: no Secure, so the push cookie is dropped', async () => {
    const f = await onlyFinding(await config('http://auth.acme.com', 'acme.com'))
    assert.equal(f.level, 'error')
    assert.equal(f.setting, 'hub.origin')
    assert.match(f.problem, /plain http/)
    assert.match(f.problem, /SameSite=None/)
    assert.match(f.fix, /https/)
  })

  test('a site on plain http off localhost', async () => {
    const f = await onlyFinding(await config('https://auth.acme.com', 'acme.com', [{ name: 'shop', origin: 'http://shop.com', kind: 'cross-site' }]))
    assert.equal(f.level, 'error')
    assert.equal(f.setting, 'sites[0] (shop).origin')
    assert.match(f.problem, /http:\/\/shop\.com is plain http/)
    assert.match(f.problem, /SameSite=None/)
  })

  test('a hub on a bare IP over http is not a secure context either', async () => {
    const f = await onlyFinding(await config('http://10.0.0.5:4000', undefined))
    assert.equal(f.setting, 'hub.origin')
  })

  test('a same-site subdomain configured as cross-site', async () => {
    const c = await config('https://auth.acme.com', 'acme.com', [{ name: 'forum', origin: 'https://forum.acme.com', kind: 'cross-site' }])
    const f = await onlyFinding(c)
    assert.equal(f.level, 'error')
    assert.equal(f.setting, 'sites[0] (forum).kind')
    assert.match(f.problem, /configured as cross-site, but forum\.acme\.com is the same site as the hub \(acme\.com\)/)
    assert.match(f.fix, /"subdomain"/)
  })

  test('another domain configured as a subdomain (also under the same public suffix: shop.co.uk beside acme.co.uk)', async () => {
    for (const [hub, parent, origin] of [
      ['https://auth.acme.com', 'acme.com', 'https://shop.com'],
      ['https://auth.acme.co.uk', 'acme.co.uk', 'https://shop.co.uk'],
      ['http://auth.acme.localhost:4000', 'acme.localhost', 'http://shop.localhost:4002'],
    ] as const) {
      const f = await onlyFinding(await config(hub, parent, [{ name: 'shop', origin, kind: 'subdomain' }]))
      assert.equal(f.level, 'error')
      assert.equal(f.setting, 'sites[0] (shop).kind')
      assert.match(f.problem, /configured as a subdomain, but .* is another site than the hub/)
      assert.match(f.fix, /"cross-site"/)
    }
  })

  test('the setting names the right site when several are configured', async () => {
    const c = await demoLayout()
    c.sites[2] = { ...c.sites[2]!, kind: 'subdomain' }
    const f = await onlyFinding(c)
    assert.equal(f.setting, 'sites[2] (shop-de).kind')
  })

  test('a token-only site (member: false) on another domain never gets the token cookie', async () => {
    const f = await onlyFinding(await config('https://auth.acme.com', 'acme.com', [{ name: 'shop', origin: 'https://shop.com', member: false }]))
    assert.equal(f.level, 'error')
    assert.equal(f.setting, 'sites[0] (shop).member')
    assert.match(f.problem, /token-only site on another domain/)
    assert.match(f.fix, /member: true/)
  })

  test('a token-only site on the same site but outside the parent domain', async () => {
    const f = await onlyFinding(await config('https://auth.eu.acme.com', 'eu.acme.com', [{ name: 'wiki', origin: 'https://wiki.us.acme.com', member: false }]))
    assert.equal(f.setting, 'sites[0] (wiki).origin')
    assert.match(f.problem, /not under the parent domain eu\.acme\.com/)
  })

  for (const [label, secret, message] of [
    ['16 bytes', Buffer.alloc(16, 7).toString('base64url'), /128 bits; at least 256/],
    // 'a' × 43 is not even canonical base64url (its last character carries stray bits); either way it is refused.
    ['a.repeat(43)', 'a'.repeat(43), /not base64url|does not look random/],
    ['32 equal bytes', Buffer.alloc(32, 0x61).toString('base64url'), /does not look random/],
    ['not base64url', '!'.repeat(43), /not base64url/],
    ['missing', undefined, /must be a base64url string/],
  ] as const) {
    test(`a weak master secret: ${label}`, async () => {
      const c = await config('https://auth.acme.com', 'acme.com')
      ;(c.keys as { secret: unknown }).secret = secret
      const f = await onlyFinding(c)
      assert.equal(f.level, 'error')
      assert.equal(f.setting, 'keys.secret')
      assert.match(f.problem, message)
      assert.match(f.fix, /keys rotate --secret/)
    })
  }

  test('a broken signing key: wrong public part, no private part, none at all, the same kid twice', async () => {
    const breakers: Array<[string, (c: DeploymentConfig) => void, RegExp]> = [
      ['x replaced', (c) => (c.keys.signingKeys[0]!.x = Buffer.alloc(32, 1).toString('base64url')), /"d" is not a private key matching|signing key/],
      ['x truncated', (c) => (c.keys.signingKeys[0]!.x = 'AAAA'), /./],
      ['no d', (c) => delete c.keys.signingKeys[0]!.d, /needs its private part "d"/],
      ['empty list', (c) => (c.keys.signingKeys = []), /at least one key/],
      ['duplicate kid', (c) => c.keys.signingKeys.push({ ...c.keys.signingKeys[0]! }), /appears twice/],
    ]
    for (const [label, breakIt, message] of breakers) {
      const c = await config('https://auth.acme.com', 'acme.com')
      breakIt(c)
      const findings = await diagnoseSetting(c)
      assert.equal(findings.length, 1, `${label}: ${JSON.stringify(findings)}`)
      assert.equal(findings[0]!.setting, 'keys.signingKeys', label)
      assert.equal(findings[0]!.level, 'error', label)
      assert.match(findings[0]!.problem, message, label)
      assert.match(findings[0]!.fix, /keys rotate/, label)
    }
  })

  test('duplicate site names and duplicate origins', async () => {
    const names = await onlyFinding(
      await config('https://auth.acme.com', 'acme.com', [
        { name: 'shop', origin: 'https://shop.com' },
        { name: 'shop', origin: 'https://shop.de' },
      ]),
    )
    assert.equal(names.setting, 'sites')
    assert.match(names.problem, /name "shop" is used twice/)
    const origins = await onlyFinding(
      await config('https://auth.acme.com', 'acme.com', [
        { name: 'shop', origin: 'https://shop.com' },
        { name: 'shop2', origin: 'https://SHOP.com/' },
      ]),
    )
    assert.equal(origins.setting, 'sites')
    assert.match(origins.problem, /origin "https:\/\/shop\.com" is used twice/)
    assert.match(origins.fix, /unique name and origin/)
  })

  test('a memory store is a warning, not an error', async () => {
    const c = await demoLayout()
    c.store = 'memory:'
    const f = await onlyFinding(c)
    assert.equal(f.level, 'warning')
    assert.equal(f.setting, 'store')
    assert.match(f.problem, /forgets every session on restart/)
  })

  test('a hub origin that is not an origin', async () => {
    for (const origin of ['auth.acme.com', 'https://auth.acme.com/login', 'ftp://auth.acme.com']) {
      const c = await config('https://auth.acme.com', 'acme.com')
      c.hub.origin = origin
      const f = await onlyFinding(c)
      assert.equal(f.setting, 'hub.origin', origin)
      assert.equal(f.level, 'error')
    }
  })

  test('several problems at once are all reported', async () => {
    const c = await config('http://auth.acme.com', 'com', [
      { name: 'forum', origin: 'https://forum.acme.com', kind: 'cross-site' },
      { name: 'shop', origin: 'https://shop.com', member: false },
    ])
    c.keys.secret = 'a'.repeat(43)
    c.store = 'memory:'
    const settings = (await diagnoseSetting(c)).map((f) => f.setting).sort()
    // forum is https and the hub http, so the browser sees two sites: the "kind" then matches.
    assert.deepEqual(settings, ['hub.origin', 'hub.parentDomain', 'keys.secret', 'sites[1] (shop).member', 'store'])
  })
})

// Each test writes its own file, so the four processes may run side by side.
describe('doctor: the command', { concurrency: true }, () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ss-doctor-'))
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('exits 0 on a good file and says so', async () => {
    writeConfig(join(dir, 'good.json'), await productionLayout(), { force: true })
    const r = await runCli(['doctor', '--config', 'good.json'], { cwd: dir })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /good\.json: no problems found/)
    assert.equal(r.stderr, '')
  })

  test('exits non-zero on a bad file, with a fix: line per finding', async () => {
    const c = await config('https://auth.acme.com', 'com', [{ name: 'forum', origin: 'https://forum.acme.com', kind: 'cross-site' }])
    c.store = 'memory:'
    writeConfig(join(dir, 'bad.json'), c, { force: true })
    const r = await runCli(['doctor', '-c', 'bad.json'], { cwd: dir })
    assert.equal(r.code, 1)
    assert.match(r.stdout, /ERROR +hub\.parentDomain: "com" is a public suffix/)
    assert.match(r.stdout, /ERROR +sites\[0\] \(forum\)\.kind:/)
    assert.match(r.stdout, /warning store:/)
    assert.equal(r.stdout.match(/^\s+fix: /gm)?.length, 3)
    assert.match(r.stdout, /2 error\(s\), 1 warning\(s\)/)
  })

  test('exits 0 when there are only warnings', async () => {
    const c = await demoLayout()
    c.store = 'memory:'
    writeConfig(join(dir, 'warn.json'), c, { force: true })
    const r = await runCli(['doctor', '-c', 'warn.json'], { cwd: dir })
    assert.equal(r.code, 0)
    assert.match(r.stdout, /0 error\(s\), 1 warning\(s\)/)
  })

  test('SHARED_SESSION_SECRET overrides the file before the doctor looks', async () => {
    writeConfig(join(dir, 'env.json'), await productionLayout(), { force: true })
    const r = await runCli(['doctor', '-c', 'env.json'], { cwd: dir, env: { SHARED_SESSION_SECRET: Buffer.alloc(32, 0x61).toString('base64url') } })
    assert.equal(r.code, 1)
    assert.match(r.stdout, /keys\.secret: .*does not look random/)
  })
})
