/**
 * WebKitGTK (Safari's engine) driven over W3C WebDriver: one Xvfb on a free
 * display and one `WebKitWebDriver` on a free port per engine, a new
 * WebDriver session (a fresh MiniBrowser with its own ephemeral cookie jar)
 * per profile. Raw WebDriver over `fetch`; capabilities as in
 * BROWSER-TESTING.md.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Engine, JarCookie, Profile, Tab } from './browser-driver.js'
import { waitUntil } from './browser-driver.js'
import { stopChild } from './child.js'

/** Where Debian's `libwebkit2gtk-4.1-0` (pulled in by `webkit2gtk-driver`) puts MiniBrowser. */
export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser'

/** True when WebKitGTK, its driver and Xvfb are installed (scripts/setup.sh installs them). */
export function webkitInstalled(): boolean {
  return existsSync(MINIBROWSER) && existsSync('/usr/bin/WebKitWebDriver') && existsSync('/usr/bin/Xvfb')
}

/** Start Xvfb on a display it picks itself (`-displayfd`), so parallel runs never collide. */
async function startXvfb(): Promise<{ display: string; child: ChildProcess }> {
  const child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr!.on('data', (chunk) => (err += chunk))
  const display = await new Promise<string>((resolve, reject) => {
    ;(child.stdio[3] as NodeJS.ReadableStream).once('data', (d) => resolve(String(d).trim()))
    child.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}: ${err}`)))
  })
  return { display: `:${display}`, child }
}

/** Start WebKitWebDriver on a random free port of the display, retrying when the port is taken. */
async function startDriver(display: string): Promise<{ base: string; child: ChildProcess }> {
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000)
    const child = spawn('WebKitWebDriver', [`--port=${port}`, '--host=127.0.0.1'], { env: { ...process.env, DISPLAY: display }, stdio: 'ignore' })
    const base = `http://127.0.0.1:${port}`
    let exited = false
    child.once('exit', () => (exited = true))
    try {
      await waitUntil(async () => {
        if (exited) return true
        return (await fetch(`${base}/status`)).ok
      }, `WebKitWebDriver answering on ${base}`, 10_000)
    } catch (err) {
      await stopChild(child)
      throw err
    }
    if (!exited) return { base, child }
    if (attempt > 10) throw new Error('WebKitWebDriver did not start')
  }
}

/** A W3C WebDriver command; its `value`, or an error that says which command failed and why. */
async function command<T>(base: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json = (await response.json()) as { value: T & { error?: string; message?: string } }
  if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${json.value.error}: ${json.value.message}`)
  return json.value
}

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf'

function tab(base: string, session: string): Tab {
  const s = `/session/${session}`
  const find = async (selector: string) =>
    (await command<Record<string, string>>(base, 'POST', `${s}/element`, { using: 'css selector', value: selector }))[ELEMENT]
  return {
    goto: async (url) => void (await command(base, 'POST', `${s}/url`, { url })),
    url: () => command<string>(base, 'GET', `${s}/url`),
    evaluate: <T>(expression: string) => command<T>(base, 'POST', `${s}/execute/sync`, { script: `return ${expression}`, args: [] }),
    click: async (selector) => void (await command(base, 'POST', `${s}/element/${await find(selector)}/click`, {})),
    type: async (selector, text) => void (await command(base, 'POST', `${s}/element/${await find(selector)}/value`, { text })),
    cookies: async () =>
      (await command<{ name: string; value: string; domain: string; secure: boolean }[]>(base, 'GET', `${s}/cookie`)).map(
        ({ name, value, domain, secure }): JarCookie => ({ name, value, domain, secure }),
      ),
  }
}

/**
 * WebKitGTK in its default settings (third-party cookies blocked; tracking
 * prevention off), `acceptInsecureCerts` for the test's self-signed
 * certificate.
 *
 * @example
 * ```ts
 * const webkit = await launchWebKit()
 * const { tab, close } = await webkit.open()
 * ```
 */
export async function launchWebKit(name = 'webkit'): Promise<Engine> {
  const xvfb = await startXvfb()
  let driver: { base: string; child: ChildProcess }
  try {
    driver = await startDriver(xvfb.display)
  } catch (err) {
    await stopChild(xvfb.child)
    throw err
  }
  const capabilities = {
    alwaysMatch: {
      browserName: 'MiniBrowser',
      acceptInsecureCerts: true,
      'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
    },
  }
  return {
    name,
    async open(): Promise<Profile> {
      const { sessionId } = await command<{ sessionId: string }>(driver.base, 'POST', '/session', { capabilities })
      return {
        tab: tab(driver.base, sessionId),
        close: async () => void (await command(driver.base, 'DELETE', `/session/${sessionId}`).catch(() => undefined)),
      }
    },
    async close() {
      await stopChild(driver.child)
      await stopChild(xvfb.child)
    },
  }
}
