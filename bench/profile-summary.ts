/**
 * The top self-time entries of a V8 CPU profile (`node --cpu-prof`), grouped
 * by function and file, as a Markdown table: where a case's time goes,
 * as shares of the time the process was busy.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

export function summarizeProfile(file: string, top = 12): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    const frame = byId.get(id)!.callFrame
    // Servers idle while the other cases are measured: shares are of busy time only.
    if (frame.functionName === '(idle)') return
    total += dt
    const where = frame.url ? frame.url.replace(/^.*\/(node_modules\/|src\/)/, '$1').replace(/^node:/, 'node:') : ''
    const key = `${frame.functionName || '(anonymous)'}${where ? ` — ${where}` : ''}`
    self.set(key, (self.get(key) ?? 0) + dt)
  })
  const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, top)
  return ['| share of busy time | function — file |', '|---:|---|', ...rows.map(([k, t]) => `| ${((t / total) * 100).toFixed(1)} % | ${k.replace(/\|/g, '\\|')} |`)].join('\n')
}
