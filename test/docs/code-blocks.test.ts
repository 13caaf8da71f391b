import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createSession, linkSite, sessionPolicy } from '../../src/index.js'
import { siteCookies } from '../../src/sites/site-cookies.js'
import { createSqliteStore } from '../../src/stores/sqlite/index.js'
import { stopChild } from '../helpers/child.js'

// Every ```ts and ```js block of the README and docs/ is compiled (strict,
// `shared-session/*` mapped to src/), and the blocks marked to run, run.
// A block says what it needs in an HTML comment on the line above it:
//
//   <!-- doc-test: given member, store -->   import these from test/docs/prelude.ts
//   <!-- doc-test: run -->                    run it; it must exit 0 by itself
//   <!-- doc-test: serve -->                  run it with PORT=0; it must declare `server`
//                                             (a node:http Server listening on Number(process.env.PORT ?? …));
//                                             a visitor with a live session of site `shop` gets a whole 200 page
//
// Directives combine with `;`. A block that is not TypeScript or JavaScript
// (shell, JSON, output) is written as ```sh, ```json or ``` and not compiled.

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PRELUDE = fileURLToPath(new URL('./prelude.ts', import.meta.url))
const run = promisify(execFile)
/** The origin of the member `shop` in prelude.ts. */
const SHOP_ORIGIN = 'http://shop.localhost:3000'

interface Block {
  /** Where it is, for messages: `README.md:123` (the line of the opening fence). */
  where: string
  /** Line of the first code line in its markdown file (1-based). */
  firstLine: number
  js: boolean
  code: string
  given: string[]
  run: boolean
  serve: boolean
}

function markdownFiles(): string[] {
  const docs = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? docs(join(dir, entry.name)) : entry.name.endsWith('.md') ? [join(dir, entry.name)] : [],
    )
  return ['README.md', ...docs('docs')]
}

/** The code blocks of one markdown file, with the doc-test directive on the line above each. */
function extractBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n')
  const blocks: Block[] = []
  let open: { fence: string; lang: string; start: number; directive: string } | null = null
  let body: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (!open) {
      const fence = /^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)/.exec(line)
      if (!fence) continue
      const above = i > 0 ? lines[i - 1]!.trim() : ''
      const directive = /^<!--\s*doc-test:(.*?)-->$/.exec(above)?.[1]?.trim() ?? ''
      open = { fence: fence[1]!, lang: fence[2]!.toLowerCase(), start: i + 1, directive }
      body = []
    } else if (line.trim().startsWith(open.fence) && line.trim().replace(/[`~]/g, '') === '') {
      if (['ts', 'typescript', 'js', 'javascript'].includes(open.lang)) {
        const parts = open.directive.split(';').map((p) => p.trim()).filter(Boolean)
        const given = parts.filter((p) => p.startsWith('given ')).flatMap((p) => p.slice('given '.length).split(',').map((n) => n.trim()))
        const unknown = parts.filter((p) => !p.startsWith('given ') && p !== 'run' && p !== 'serve')
        if (unknown.length) throw new Error(`${file}:${open.start}: unknown doc-test directive ${unknown.join('; ')}`)
        blocks.push({
          where: `${file}:${open.start}`,
          firstLine: open.start + 1,
          js: open.lang.startsWith('j'),
          code: body.join('\n'),
          given,
          run: parts.includes('run'),
          serve: parts.includes('serve'),
        })
      }
      open = null
    } else {
      body.push(line)
    }
  }
  return blocks
}

/** Whether a block declares types for its whole program (module augmentation, globals). */
function declares(block: Block): boolean {
  return /^\s*declare (module|global)\b/m.test(block.code)
}

/** tsconfig `paths` from the package's exports: `shared-session/member` → src/member/index.ts. */
function exportPaths(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, string | { types: string }> }
  const paths: Record<string, string[]> = {}
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue
    const source = join(ROOT, target.types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts'))
    paths[subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`] = [source]
  }
  return paths
}

describe('code blocks of the README and docs/', { timeout: 420_000 }, () => {
  const blocks = markdownFiles().flatMap((file) => extractBlocks(file, readFileSync(join(ROOT, file), 'utf8')))
  let dir: string
  /** Block → the file it was written to. */
  const files = new Map<Block, string>()

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ss-doc-blocks-'))
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
    blocks.forEach((block, index) => {
      const name = `block${index}-${block.where.replace(/[^A-Za-z0-9]+/g, '-')}.${block.js ? 'js' : 'ts'}`
      // The prelude import goes last: imports are hoisted, and the block keeps its line numbers.
      const prelude = block.given.length ? `\nimport { ${block.given.join(', ')} } from ${JSON.stringify(PRELUDE.replace(/\.ts$/, '.js'))}\n` : '\nexport {}\n'
      writeFileSync(join(dir, name), block.code + prelude)
      files.set(block, name)
    })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }))
    const compilerOptions = {
      strict: true,
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      noEmit: true,
      skipLibCheck: true,
      allowJs: true,
      checkJs: true,
      types: ['node'],
      paths: exportPaths(),
    }
    // tsx (runs) reads this one; it also compiles every block without augmentations of its own.
    const shared = blocks.filter((b) => !declares(b)).map((b) => files.get(b)!)
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: shared }))
    // A block that declares types (`declare module`, `declare global`) changes them for its whole
    // program, as it would in the reader's app: it gets a program of its own.
    for (const block of blocks.filter(declares)) {
      writeFileSync(join(dir, `tsconfig.${files.get(block)}.json`), JSON.stringify({ compilerOptions, files: [files.get(block)] }))
    }
  })

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('there are blocks to check, in the README and in docs/', () => {
    assert.ok(blocks.filter((b) => b.where.startsWith('README.md')).length >= 5, 'the README has its code blocks')
    assert.ok(blocks.some((b) => b.where.startsWith('docs/')), 'docs/ has code blocks')
    assert.ok(blocks.some((b) => b.run) && blocks.some((b) => b.serve), 'some blocks run')
  })

  test('every block compiles (strict) against the package sources', async () => {
    const projects = ['tsconfig.json', ...blocks.filter(declares).map((b) => `tsconfig.${files.get(b)}.json`)]
    const outputs = await Promise.all(
      projects.map((project) =>
        run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(dir, project)], { cwd: dir, maxBuffer: 1 << 24 }).then(
          () => '',
          (err: { stdout?: string }) => err.stdout ?? String(err),
        ),
      ),
    )
    const result = outputs.join('\n')
    // Point each error at its markdown line.
    const byName = new Map([...files].map(([block, name]) => [name, block]))
    const errors = result
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const at = /^(block[^(]+)\((\d+),(\d+)\): (.*)$/.exec(line)
        const block = at ? byName.get(at[1]!) : undefined
        return block ? `${block.where.split(':')[0]}:${block.firstLine + Number(at![2]) - 1}:${at![3]} ${at![4]}` : line
      })
    assert.deepEqual(errors, [], `code blocks that do not compile:\n${errors.join('\n')}`)
  })

  for (const block of blocks.filter((b) => b.run)) {
    test(`${block.where} runs`, async () => {
      const docDir = mkdtempSync(join(dir, 'run-'))
      const { stderr } = await run(process.execPath, ['--import', 'tsx', files.get(block)!], { cwd: dir, env: { ...process.env, DOC_TEST_DIR: docDir }, timeout: 60_000 })
      assert.doesNotMatch(stderr, /Error/, stderr)
    })
  }

  for (const block of blocks.filter((b) => b.serve)) {
    test(`${block.where} serves a visitor with a session a whole page`, async () => {
      const docDir = mkdtempSync(join(dir, 'serve-'))
      const name = `${files.get(block)!.replace(/\.(ts|js)$/, '')}-serve.${block.js ? 'js' : 'ts'}`
      writeFileSync(
        join(dir, name),
        readFileSync(join(dir, files.get(block)!), 'utf8') +
          `\nconst report = () => console.log('doc-test listening ' + JSON.stringify(server.address()))\nif (server.listening) report(); else server.once('listening', report)\n`,
      )
      const child = spawn(process.execPath, ['--import', 'tsx', name], { cwd: dir, env: { ...process.env, DOC_TEST_DIR: docDir, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
      let stderr = ''
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      try {
        const port = await new Promise<number>((resolve, reject) => {
          let out = ''
          child.stdout!.on('data', (chunk: Buffer) => {
            out += chunk.toString()
            const m = /doc-test listening (\{.*\})/.exec(out)
            if (m) resolve((JSON.parse(m[1]!) as { port: number }).port)
          })
          child.once('exit', (code) => reject(new Error(`${block.where} exited with ${code} before listening:\n${stderr}`)))
        })
        // A visitor who already holds shop's session: the page's loader sets a cookie and headers.
        const store = createSqliteStore({ path: join(docDir, 'sessions.sqlite') })
        const session = await createSession(store, sessionPolicy())
        const cookie = await linkSite(store, session, 'shop')
        await store.close()
        const name = siteCookies(SHOP_ORIGIN).session.name
        const answer = await fetch(`http://127.0.0.1:${port}/`, {
          headers: { cookie: `${name}=${cookie}`, accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'none', 'sec-fetch-dest': 'document' },
        })
        const body = await answer.text()
        assert.equal(answer.status, 200, body)
        assert.match(body, /<script async referrerpolicy="origin"/, 'the page carries the push loader')
        assert.ok(answer.headers.getSetCookie().some((c) => /^(__Host-)?ss-pushed=/.test(c)), 'the loader set its marker cookie')
        assert.doesNotMatch(stderr, /ERR_HTTP_HEADERS_SENT|Error/, stderr)
      } finally {
        await stopChild(child)
      }
    })
  }
})

