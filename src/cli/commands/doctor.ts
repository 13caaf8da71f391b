import { diagnose } from '../../config/doctor.js'
import { loadConfig } from '../context.js'

/**
 * `shared-session doctor`: explain every setting that would make a browser
 * silently drop a cookie or break sharing, each with what to change. Exits
 * non-zero when anything is wrong.
 *
 * @example
 * ```ts
 * await doctorCommand({ config: 'shared-session.json' })
 * ```
 */
export async function doctorCommand(options: { config: string }): Promise<void> {
  const findings = await diagnose(loadConfig(options.config))
  if (findings.length === 0) {
    console.log(`${options.config}: no problems found`)
    return
  }
  for (const f of findings) console.log(`${f.level === 'error' ? 'ERROR  ' : 'warning'} ${f.setting}: ${f.problem}\n        fix: ${f.fix}`)
  const errors = findings.filter((f) => f.level === 'error').length
  console.log(`\n${errors} error(s), ${findings.length - errors} warning(s)`)
  if (errors > 0) process.exitCode = 1
}
