import { getJson } from '../http/get-json.js'
import { parsePrefix } from '../sites/sharing.js'
import type { DeploymentConfig } from './config-file.js'
import type { Finding } from './doctor.js'

/**
 * Ask every site over HTTP whether it runs what the configuration says
 * (`shared-session doctor --probe`), all at once: a member must answer
 * under the member prefix with one of our error codes (a GET of an
 * endpoint that does not exist gets `404 {"error":"ERR_NOT_FOUND"}` from
 * the member middleware); an app that answers anything else there (its own
 * 404 page) does not run the member endpoints, so the login walk would
 * strand visitors on it. The hub must answer its description. Harmless:
 * no state changes anywhere.
 *
 * @example
 * ```ts
 * for (const f of await probeSites(readConfig('shared-session.json'))) console.log(f.setting, f.problem)
 * ```
 */
export async function probeSites(config: DeploymentConfig, options: { timeoutMs?: number } = {}): Promise<Finding[]> {
  const timeoutMs = options.timeoutMs ?? 3000
  let prefix = '/_session'
  try {
    prefix = parsePrefix(config.hub?.prefix)
  } catch {
    // diagnose() reports a bad prefix.
  }
  const findings: Finding[] = []
  const hub = `${config.hub.origin}${config.hub.basePath ?? ''}/.well-known/shared-session.json`
  const checks: Array<Promise<void>> = [
    getJson(hub, timeoutMs).then(
      (r) => {
        if (r.status !== 200) findings.push({ level: 'error', setting: 'hub.origin', problem: `${hub} answered HTTP ${r.status}: no shared-session hub runs at ${config.hub.origin}`, fix: 'start the hub (`shared-session serve`) or correct hub.origin / hub.basePath' })
      },
      (err: Error) => void findings.push({ level: 'error', setting: 'hub.origin', problem: `the hub ${config.hub.origin} does not answer (${err.message})`, fix: 'start the hub (`shared-session serve`), or correct hub.origin; probe from a machine that reaches the public origins' }),
    ),
  ]
  for (const [i, site] of (config.sites ?? []).entries()) {
    if (site.member === false) continue
    const setting = `sites[${i}] (${site.name})`
    const url = `${site.origin}${prefix}/doctor-probe`
    checks.push(
      getJson(url, timeoutMs, { 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }).then(
        (r) => {
          const code = (r.body as { error?: unknown } | null)?.error
          if (typeof code === 'string' && /^ERR_[A-Z_]+$/.test(code)) return
          findings.push({
            level: 'error',
            setting: `${setting}.member`,
            problem: `${site.origin} does not run the member endpoints: GET ${prefix}/doctor-probe answered HTTP ${r.status} without a shared-session error code, so after sign-in the login walk would leave visitors on that app's ${r.status} page at ${prefix}/sync`,
            fix: `if ${site.name} only reads the token (Flask, an app behind forward-auth), mark it: set "member": false (shared-session sites remove ${site.name} && shared-session sites add ${site.name} ${site.origin} --no-member); otherwise mount the member middleware there under ${prefix}`,
          })
        },
        (err: Error) =>
          void findings.push({ level: 'warning', setting: `${setting}.origin`, problem: `${site.origin} does not answer (${err.message}): cannot tell whether it runs the member endpoints`, fix: `start ${site.name}, or correct its origin; probe from a machine that reaches the public origins` }),
      ),
    )
  }
  await Promise.all(checks)
  return findings
}
