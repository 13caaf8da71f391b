import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { stopChild } from '../helpers/child.js'

// What a team gets from npm: the package packed exactly as `npm publish` would
// (prepack builds dist), installed into an empty project outside the repo with
// the optional peers, then imported, run and compiled there. The repo's own
// node_modules are never on the path of that project.

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string
  version: string
  exports: Record<string, string | { types: string; default: string }>
  peerDependencies: Record<string, string>
  bin: Record<string, string>
}
/** Installed next to the package: every optional peer, express-session and the types a TypeScript app needs. */
const EXTRAS = ['express-session', '@types/express', '@types/express-session', '@types/node', 'typescript']

/** The version the repo was tested with, so npm's cache answers (`--prefer-offline`) and the result is reproducible. */
function repoVersion(name: string): string {
  const file = join(ROOT, 'node_modules', name, 'package.json')
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'latest'
}

interface PackResult {
  filename: string
  files: Array<{ path: string; mode: number }>
}

describe(`npm pack → npm install in an empty project → import, run, compile`, { timeout: 480_000 }, () => {
  let work: string
  let app: string
  let packed: PackResult

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'ss-pack-'))
    // A copy of the checkout (tracked and new files, as a fresh clone has them), so packing
    // rebuilds dist there and never races another run over the repo's own dist.
    const source = join(work, 'source')
    const { stdout: listed } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, maxBuffer: 1 << 24 })
    for (const file of listed.split('\0').filter(Boolean)) {
      if (file === 'node_modules' || !existsSync(join(ROOT, file))) continue // deleted in the working tree, or a linked node_modules
      mkdirSync(dirname(join(source, file)), { recursive: true })
      cpSync(join(ROOT, file), join(source, file))
    }
    symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'), 'dir')
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: source, maxBuffer: 1 << 24 })
    packed = (JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1 || stdout.indexOf('['))) as PackResult[])[0]!

    app = join(work, 'app')
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'team-app', private: true, type: 'module' }))
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }
    const wanted = [...Object.keys(pkg.peerDependencies), ...EXTRAS].map((name) => `${name}@${repoVersion(name)}`)
    const native = join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')
    if (existsSync(native)) {
      // better-sqlite3 downloads a prebuilt binary from GitHub or compiles SQLite (minutes).
      // Hand prebuild-install, through its documented local-prebuilds setting, the binary this
      // machine already built for the same version and Node ABI.
      const version = repoVersion('better-sqlite3')
      const stage = join(work, 'prebuild-stage')
      mkdirSync(join(stage, 'build/Release'), { recursive: true })
      cpSync(native, join(stage, 'build/Release/better_sqlite3.node'))
      mkdirSync(join(work, 'prebuilds'))
      const archive = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
      await run('tar', ['czf', join(work, 'prebuilds', archive), '-C', stage, 'build'])
      env.npm_config_better_sqlite3_local_prebuilds = join(work, 'prebuilds')
      wanted.push(`better-sqlite3@${version}`)
    }
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed.filename), ...wanted], { cwd: app, env, maxBuffer: 1 << 24 })
  })

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  test('the tarball holds the build, the docs and the README: no sources, no tests, no source maps pointing nowhere', () => {
    const paths = packed.files.map((f) => f.path)
    for (const needed of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'docs/configuration.md']) {
      assert.ok(paths.includes(needed), `${needed} is in the tarball`)
    }
    assert.deepEqual(paths.filter((p) => /^(src|test|bench|scripts|examples|python|node_modules)\//.test(p)), [])
    assert.deepEqual(paths.filter((p) => p.endsWith('.map')), [], 'no source maps (they would point at src/, which is not shipped)')
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      for (const file of typeof target === 'string' ? [target] : [target.types, target.default]) {
        assert.ok(paths.includes(file.replace(/^\.\//, '')), `export ${subpath}: ${file} is in the tarball`)
      }
    }
    const bin = packed.files.find((f) => f.path === pkg.bin['shared-session']!.replace(/^\.\//, ''))
    assert.ok(bin, 'the bin is in the tarball')
    assert.equal(bin.mode & 0o111, 0o111, 'the bin is executable')
  })

  test('every subpath export imports in plain Node, with the optional peers installed', async () => {
    const specifiers = Object.keys(pkg.exports).map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`))
    writeFileSync(
      join(app, 'imports.mjs'),
      `const result = {}
for (const spec of ${JSON.stringify(specifiers)}) {
  const mod = spec.endsWith('.json') ? await import(spec, { with: { type: 'json' } }) : await import(spec)
  result[spec] = Object.keys(mod).length
}
console.log(JSON.stringify(result))
`,
    )
    const { stdout } = await run(process.execPath, ['imports.mjs'], { cwd: app })
    const counts = JSON.parse(stdout) as Record<string, number>
    assert.deepEqual(Object.keys(counts), specifiers)
    for (const [spec, count] of Object.entries(counts)) {
      // The typings modules are types only: importing them must work, and export nothing at runtime.
      if (spec.startsWith(`${pkg.name}/types/`)) assert.equal(count, 0, spec)
      else assert.ok(count > 0, `${spec} exports something`)
    }
  })

  test('the bin runs from node_modules/.bin: --help, and init and users on the SQLite directory', async () => {
    const bin = join(app, 'node_modules/.bin/shared-session')
    assert.equal(readFileSync(bin, 'utf8').split('\n')[0], '#!/usr/bin/env node')
    const help = await run(bin, ['--help'], { cwd: app })
    assert.match(help.stdout, /^Usage: shared-session/m)
    assert.match(help.stdout, /\binit\b[\s\S]*\bserve\b/)
    if (/--version/.test(help.stdout)) {
      const version = await run(bin, ['--version'], { cwd: app })
      assert.equal(version.stdout.trim(), pkg.version)
    }
    await run(bin, ['init', '--origin', 'https://auth.acme.com', '--parent-domain', 'acme.com'], { cwd: app })
    assert.equal(statSync(join(app, 'shared-session.json')).mode & 0o777, 0o600)
    const add = spawn(bin, ['users', 'add', 'alice', '--email', 'alice@acme.com'], { cwd: app, stdio: ['pipe', 'pipe', 'pipe'] })
    add.stdin!.end('correct horse battery\n')
    const code = await new Promise<number | null>((resolve) => add.on('exit', resolve))
    assert.equal(code, 0)
    const list = await run(bin, ['users', 'list'], { cwd: app })
    assert.match(list.stdout, /alice\s+alice@acme\.com/)
  })

  describe('a strict TypeScript app: the Express adapter beside express-session, with the shipped typings', () => {
    let server: ChildProcess | undefined

    after(async () => {
      if (server) await stopChild(server)
    })

    test('compiles with tsc --strict and serves both sessions', async () => {
      mkdirSync(join(app, 'src'))
      writeFileSync(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out', rootDir: 'src', types: ['node'], skipLibCheck: false },
          include: ['src'],
        }),
      )
      writeFileSync(join(app, 'src/server.ts'), APP)
      writeFileSync(join(app, 'src/other-frameworks.ts'), OTHER_FRAMEWORKS)
      const compiled = await run(join(app, 'node_modules/.bin/tsc'), ['-p', '.'], { cwd: app }).catch((err: { stdout: string }) => err)
      assert.equal('stdout' in compiled ? compiled.stdout : '', '', 'tsc reports no errors')
      assert.ok(existsSync(join(app, 'out/server.js')))

      server = spawn(process.execPath, ['out/server.js'], { cwd: app, stdio: ['ignore', 'pipe', 'inherit'] })
      const port = await new Promise<number>((resolve, reject) => {
        server!.stdout!.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim())))
        server!.once('exit', (exitCode) => reject(new Error(`the app exited with ${exitCode}`)))
      })
      const base = `http://127.0.0.1:${port}`
      // A form post from the app's own page, as a browser sends it.
      const first = await fetch(`${base}/cart`, {
        method: 'POST',
        body: new URLSearchParams({ item: 'teapot' }),
        headers: { origin: 'http://shop.localhost:3000', 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate' },
      })
      assert.equal(first.status, 200)
      const cookies = first.headers.getSetCookie().map((c) => c.split(';')[0]!)
      assert.ok(cookies.some((c) => c.startsWith('connect.sid=')), `express-session set its cookie: ${cookies.join(', ')}`)
      // `ss` on an http origin (*.localhost included), `__Host-ss` on https.
      assert.ok(cookies.some((c) => /^(__Host-)?ss=/.test(c)), `shared-session set its cookie: ${cookies.join(', ')}`)
      const second = await fetch(`${base}/`, { headers: { cookie: cookies.join('; ') } })
      assert.equal(await second.text(), 'guest cart=teapot views=2')
    })
  })
})

/** The team's app: express-session keeps `req.session`, shared-session sits on `req.sharedSession`. */
const APP = `import express from 'express'
import session from 'express-session'
import type { AddressInfo } from 'node:net'
import { generateKeysConfig, loadKeyRing } from 'shared-session'
import { createMember } from 'shared-session/member'
import { toExpress } from 'shared-session/adapters/express'
import { createMemoryStore } from 'shared-session/stores/memory'
import 'shared-session/types/express'

declare module 'shared-session/types/express' {
  interface SharedSessionTypes { member: 'sharedSession' }
}
declare module 'express-session' {
  interface SessionData { views: number }
}

const member = createMember({
  site: 'shop',
  sites: [{ name: 'shop', origin: 'http://shop.localhost:3000' }],
  hub: 'http://auth.localhost:4000',
  keys: await loadKeyRing(await generateKeysConfig()),
  store: createMemoryStore(),
  property: 'sharedSession',
})

const app = express()
app.use(session({ secret: 'express-session secret', resave: false, saveUninitialized: true }))
app.use(toExpress(member))
app.post('/cart', express.urlencoded({ extended: false }), async (req, res) => {
  req.session.views = (req.session.views ?? 0) + 1
  const item: string = String(req.body.item)
  await req.sharedSession.set('cart', [item])
  res.send('added')
})
app.get('/', (req, res) => {
  req.session.views = (req.session.views ?? 0) + 1
  const cart = req.sharedSession.get('cart') as string[] | undefined
  const login: string = req.sharedSession.loginUrl('/')
  if (!login.startsWith('http://auth.localhost:4000/')) throw new Error(login)
  res.send(\`\${req.sharedSession.user?.username ?? 'guest'} cart=\${cart?.join(',')} views=\${req.session.views}\`)
})
const server = app.listen(0, '127.0.0.1', () => console.log((server.address() as AddressInfo).port))
`

/** The same typings on Fastify and Hono, in the same program: the property named once applies to all three. */
const OTHER_FRAMEWORKS = `import Fastify from 'fastify'
import { Hono } from 'hono'
import type { Member } from 'shared-session/member'
import { registerFastify } from 'shared-session/adapters/fastify'
import { toHono } from 'shared-session/adapters/hono'
import 'shared-session/types/fastify'
import 'shared-session/types/hono'

export function mount(member: Member): void {
  const fastify = Fastify()
  registerFastify(fastify, member)
  fastify.get('/', async (request) => request.sharedSession.user?.username ?? 'guest')
  const hono = new Hono()
  hono.use(toHono(member))
  hono.get('/', (c) => c.html(\`\${c.get('sharedSession').user?.username ?? 'guest'}\${c.get('sharedSession').loader()}\`))
}
`
