import { compareMemberConfig } from '../../config/compare-member.js'
import { diagnose, type Finding } from '../../config/doctor.js'
import { readMemberConfig } from '../../config/member-config.js'
import { probeSites } from '../../config/probe.js'
import { loadConfig } from '../context.js'

/**
 * `shared-session doctor`: explain every setting that would make a browser
 * silently drop a cookie or break sharing, each with what to change, all
 * in one run. `--member <file…>` compares members' configuration files with
 * the hub's; `--probe` asks the hub and every member site over HTTP whether
 * they run what the file says. Exits non-zero when anything is wrong.
 *
 * @example
 * ```ts
 * await doctorCommand({ config: 'shared-session.json', probe: true, member: ['shop.json'] })
 * ```
 */
export async function doctorCommand(options: { config: string; probe?: boolean; member?: string[] }): Promise<void> {
  const config = loadConfig(options.config)
  const findings: Finding[] = await diagnose(config)
  for (const file of options.member ?? []) {
    try {
      findings.push(...compareMemberConfig(config, readMemberConfig(file), file))
    } catch (err) {
      findings.push({ level: 'error', setting: file, problem: (err as Error).message, fix: `make it on the hub: shared-session config member <site> --out ${file}` })
    }
  }
  if (options.probe) findings.push(...(await probeSites(config)))
  if (findings.length === 0) {
    console.log(`${options.config}: no problems found${options.probe ? ' (every site answered as configured)' : ''}`)
    return
  }
  for (const f of findings) console.log(`${f.level === 'error' ? 'ERROR  ' : 'warning'} ${f.setting}: ${f.problem}\n        fix: ${f.fix}`)
  const errors = findings.filter((f) => f.level === 'error').length
  console.log(`\n${errors} error(s), ${findings.length - errors} warning(s)`)
  if (errors > 0) process.exitCode = 1
}
