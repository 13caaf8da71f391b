import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDemo, DEMO_USER } from '../../demo/start-demo.js'

/**
 * `shared-session demo`: the four sites of the browser matrix in one
 * process, on the embedded default store; stops cleanly on Ctrl-C. Plain
 * http by default (first-party cookies not `Secure`, so every browser keeps
 * them); `--https` serves them with a certificate made at start, so the
 * `Secure`, `__Host-` cookies of production are what the browser gets.
 *
 * @example
 * ```ts
 * await demoCommand({ portBase: '4000', dataDir: '.shared-session' })
 * ```
 */
export async function demoCommand(options: { portBase: string; dataDir: string; memory?: boolean; https?: boolean }): Promise<void> {
  const portBase = Number(options.portBase)
  if (!Number.isInteger(portBase) || portBase < 1 || portBase > 65532) throw new Error(`--port-base must be a port number (1–65532), got ${options.portBase}`)
  console.log('shared-session demo: starting four sites…')
  const demo = await startDemo({ portBase, dataDir: options.dataDir, store: options.memory ? 'memory' : 'sqlite', https: options.https ?? false })
  const width = Math.max(...demo.sites.map((s) => s.name.length))
  for (const site of demo.sites) console.log(`  ${site.name.padEnd(width)}  ${site.origin}/`)
  if (demo.certificate) {
    mkdirSync(options.dataDir, { recursive: true })
    const path = join(options.dataDir, 'demo-certificate.pem')
    writeFileSync(path, demo.certificate.cert)
    console.log(`\nhttps with a self-signed certificate made at start (${path}): your browser warns once per site;`)
    console.log('accept the warning on each of the four sites above, or trust that file, before you start.')
  }
  console.log(`\nSign in as ${DEMO_USER.username} / ${DEMO_USER.password}. Sessions live in ${options.memory ? 'memory' : `${options.dataDir}/sessions.sqlite`}.`)
  console.log('Open a shop, add something to the cart, then visit the other shop. Ctrl-C stops.')
  const stop = async () => {
    console.log('\nshared-session demo: stopping…')
    await demo.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
