/**
 * Where a case's time goes, from a V8 CPU profile (`Profiler.stop` or
 * `node --cpu-prof`): self time grouped by area (Node's HTTP stack, the Redis
 * client, our own folders, the garbage collector…) and by function, as
 * Markdown tables of shares of the time the process was busy.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

/** A V8 CPU profile, as `Profiler.stop` returns it and `--cpu-prof` writes it. */
export interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/**
 * The area a frame's time counts to: a package (`ioredis`, `@fastify/session`),
 * a folder of ours (`src/stores`), a Node module (`node:_http_server`), the
 * garbage collector, or a native function (`native writev`).
 *
 * @example
 * ```ts
 * areaOf({ functionName: 'Command', url: 'file:///app/node_modules/ioredis/built/Command.js', lineNumber: 1 }) // 'ioredis'
 * ```
 */
export function areaOf(frame: ProfileNode['callFrame']): string {
  const pkg = frame.url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  if (pkg) return pkg[1]!
  const ours = frame.url.match(/\/(src\/[^/]+)\//)
  if (ours) return ours[1]!
  if (frame.url.startsWith('node:')) return frame.url.replace(/^node:(internal\/)?/, 'node:').replace(/^(node:(?:deps\/)?[^/]+).*$/, '$1')
  if (frame.url) return frame.url.replace(/^.*\//, '')
  return frame.functionName.startsWith('(') ? frame.functionName : `native ${frame.functionName}`
}

function selfTimes(profile: CpuProfile, key: (frame: ProfileNode['callFrame']) => string): { total: number; rows: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    const frame = byId.get(id)!.callFrame
    // Servers idle while the other cases are measured: shares are of busy time only.
    if (frame.functionName === '(idle)') return
    total += dt
    const k = key(frame)
    self.set(k, (self.get(k) ?? 0) + dt)
  })
  return { total, rows: [...self].sort((a, b) => b[1] - a[1]) }
}

function functionKey(frame: ProfileNode['callFrame']): string {
  const where = frame.url ? frame.url.replace(/^.*\/(node_modules\/|src\/)/, '$1') : ''
  return `${frame.functionName || '(anonymous)'}${where ? ` — ${where}` : ''}`
}

function table(heading: string, { total, rows }: { total: number; rows: [string, number][] }, top: number): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|')
  return [`| share of busy time | ${heading} |`, '|---:|---|', ...rows.slice(0, top).map(([k, t]) => `| ${((t / total) * 100).toFixed(1)} % | ${cell(k)} |`)].join('\n')
}

/**
 * Self time by area, then by function (the top entries of each), as two Markdown tables.
 *
 * @example
 * ```ts
 * console.log(summarizeProfile(JSON.parse(readFileSync('push.cpuprofile', 'utf8'))))
 * ```
 */
export function summarizeProfile(profile: CpuProfile | string, top = 12): string {
  const p: CpuProfile = typeof profile === 'string' ? JSON.parse(readFileSync(profile, 'utf8')) : profile
  return `${table('area', selfTimes(p, areaOf), top)}\n\n${table('function — file', selfTimes(p, functionKey), top)}`
}
