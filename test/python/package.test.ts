import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { assertPythonReady, PYTHON } from './flask-app.js'

// `pip install ./python` exactly as a user on Debian does it (a venv that
// sees Debian's Flask, Django, PyJWT and cryptography; offline: no index),
// then the package's own unit tests (python/tests, python -m unittest) run
// against the installed copy, one node:test per Python test so CI counts them.

const SOURCE = fileURLToPath(new URL('../../python/', import.meta.url))

/** Run a command to completion; its output on failure. */
function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONDONTWRITEBYTECODE: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

// Discovers python/tests, runs every test, prints one JSON line per result.
const RUNNER = `
import json, sys, unittest
class Result(unittest.TestResult):
    def _emit(self, test, status, detail=""):
        print(json.dumps({"id": test.id(), "status": status, "detail": detail}), flush=True)
    def addSuccess(self, test): self._emit(test, "pass")
    def addFailure(self, test, err): self._emit(test, "fail", self._exc_info_to_string(err, test))
    def addError(self, test, err): self._emit(test, "fail", self._exc_info_to_string(err, test))
    def addSkip(self, test, reason): self._emit(test, "skip", reason)
    def addSubTest(self, test, subtest, err):
        if err is not None: self._emit(test, "fail", str(subtest) + "\\n" + self._exc_info_to_string(err, test))
suite = unittest.defaultTestLoader.discover("tests", top_level_dir=".")
suite.run(Result())
`

interface PythonResult {
  id: string
  status: 'pass' | 'fail' | 'skip'
  detail: string
}

describe('pip install ./python into a Debian venv, offline', () => {
  let dir: string
  let python: string

  before(async () => {
    assertPythonReady()
    dir = mkdtempSync(join(tmpdir(), 'ss-pip-'))
    // A copy, so the in-tree build (build/, *.egg-info) never lands in the repository.
    cpSync(SOURCE, join(dir, 'python'), { recursive: true, filter: (src) => !/(__pycache__|\.egg-info|\/build)$/.test(src) })
    const venv = await run(PYTHON, ['-m', 'venv', '--system-site-packages', 'V'], dir)
    assert.equal(venv.code, 0, venv.stderr)
    // No network here: pip must not wait on its own version check either.
    const pip = await run(join(dir, 'V/bin/pip'), ['install', '--no-build-isolation', '--no-index', './python'], dir, { PIP_DISABLE_PIP_VERSION_CHECK: '1' })
    assert.equal(pip.code, 0, `${pip.stdout}\n${pip.stderr}`)
    python = join(dir, 'V/bin/python')
  })

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('the installed package, its Flask and Django parts and its migration import from the venv', async () => {
    const version = readFileSync(join(SOURCE, 'pyproject.toml'), 'utf8').match(/^version = "([^"]+)"/m)![1]
    const script = [
      'import json, shared_session, shared_session.flask, shared_session.django.middleware, shared_session.django.migrations',
      'from importlib import resources, metadata',
      'print(json.dumps({"file": shared_session.__file__, "version": metadata.version("shared-session"),',
      ' "migration": resources.files("shared_session.django.migrations").joinpath("0001_initial.py").is_file()}))',
    ].join('\n')
    // From a directory that is not the source tree, with no PYTHONPATH: only the venv can provide it.
    const result = await run(python, ['-c', script], tmpdir(), { DJANGO_SETTINGS_MODULE: '' })
    assert.equal(result.code, 0, result.stderr)
    const found = JSON.parse(result.stdout) as { file: string; version: string; migration: boolean }
    assert.ok(found.file.startsWith(join(dir, 'V/lib/')), found.file)
    assert.equal(found.version, version)
    assert.equal(found.migration, true)
  })

  test('python -m unittest: every unit test of the package passes against the installed copy', async (t) => {
    const unit = join(dir, 'unit')
    cpSync(join(SOURCE, 'tests'), join(unit, 'tests'), { recursive: true, filter: (src) => !src.endsWith('__pycache__') })
    const result = await run(python, ['-c', RUNNER], unit)
    assert.equal(result.code, 0, result.stderr)
    const results = result.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as PythonResult)
    assert.ok(results.length >= 60, `found ${results.length} Python tests:\n${result.stderr}`)
    for (const r of results) {
      await t.test(r.id, { skip: r.status === 'skip' ? r.detail : false }, () => {
        if (r.status === 'fail') assert.fail(r.detail)
      })
    }
  })
})
