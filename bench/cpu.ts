/**
 * CPU time per request: the measure `npm run bench` steers by. Requests per
 * second swing with whatever else the machine runs; the CPU time the server
 * process spends per request (user + system, from `process.cpuUsage()` in the
 * server, sampled at the start and end of each measured window) holds much
 * better. Pure arithmetic and formatting here, so a unit test can check it.
 */

/** A `process.cpuUsage()` reading: microseconds of user and system time. */
export interface CpuReading {
  user: number
  system: number
}

/**
 * Microseconds of server CPU per request over one window.
 *
 * @example
 * ```ts
 * cpuPerRequest({ user: 1_000, system: 0 }, { user: 3_000, system: 1_000 }, 100) // 30
 * ```
 */
export function cpuPerRequest(start: CpuReading, end: CpuReading, requests: number): number {
  const used = end.user - start.user + (end.system - start.system)
  if (!(requests > 0) || used < 0) return Number.NaN
  return used / requests
}

/**
 * The median of some numbers (the upper middle one for an even count); NaN for none.
 *
 * @example
 * ```ts
 * median([3, 1, 2]) // 2
 * ```
 */
export function median(xs: number[]): number {
  const sorted = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : Number.NaN
}

/**
 * "N× bare by CPU per request": how many of this case's requests fit in the
 * CPU time of one baseline request, as a share (1 = as cheap as the baseline).
 *
 * @example
 * ```ts
 * relativeToBase(40, 20) // 0.5: twice the CPU of the baseline per request
 * ```
 */
export function relativeToBase(caseCpu: number, baseCpu: number): number {
  return caseCpu > 0 && baseCpu > 0 ? baseCpu / caseCpu : Number.NaN
}

/**
 * What one session middleware adds over its bare framework, as a share of
 * what another adds over the same bare framework (0.5 = half the extra CPU).
 *
 * @example
 * ```ts
 * addedShare({ ours: 30, theirs: 50, bare: 10 }) // 0.5
 * ```
 */
export function addedShare(cpu: { ours: number; theirs: number; bare: number }): number {
  const theirs = cpu.theirs - cpu.bare
  return theirs > 0 ? (cpu.ours - cpu.bare) / theirs : Number.NaN
}

/** One target of the report: a measured value against a goal, met when at or above (`min`) or at or below (`max`) it. */
export interface Target {
  name: string
  value: number
  goal: number
  kind: 'min' | 'max'
  /** How the value reads: `0.42× bare`, `0.61 of theirs`. */
  unit: string
  /** The figures the value came from, shown beside it. */
  detail?: string
}

/**
 * A Markdown table of targets: the measured value, its inputs, and whether it is met.
 *
 * @example
 * ```ts
 * targetTable([{ name: 'push ≥ 0.25× bare', value: 0.3, goal: 0.25, kind: 'min', unit: '× bare' }])
 * ```
 */
export function targetTable(targets: Target[]): string {
  return [
    '| target | measured | met |',
    '|---|---:|:---:|',
    ...targets.map((t) => {
      if (Number.isNaN(t.value)) return `| ${t.name} | not run | – |`
      const met = t.kind === 'min' ? t.value >= t.goal : t.value <= t.goal
      return `| ${t.name} | ${t.value.toFixed(2)}${t.unit}${t.detail ? ` (${t.detail})` : ''} | ${met ? 'yes' : '**no**'} |`
    }),
  ].join('\n')
}

/**
 * Microseconds as a table cell: one decimal below 100, whole numbers above; `–` when unknown.
 *
 * @example
 * ```ts
 * formatMicros(12.345) // '12.3'
 * ```
 */
export function formatMicros(us: number): string {
  if (Number.isNaN(us)) return '–'
  return us < 100 ? us.toFixed(1) : Math.round(us).toLocaleString('en')
}
