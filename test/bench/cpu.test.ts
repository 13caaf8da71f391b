// The arithmetic and formatting `npm run bench` reports CPU per request and its targets with.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addedShare, cpuPerRequest, formatMicros, median, relativeToBase, targetTable } from '../../bench/cpu.js'

test('CPU per request is user + system time over the window, divided by the requests answered', () => {
  assert.equal(cpuPerRequest({ user: 1_000, system: 500 }, { user: 4_000, system: 1_500 }, 200), 20)
  assert.equal(cpuPerRequest({ user: 0, system: 0 }, { user: 0, system: 300 }, 3), 100)
})

test('a window with no requests, or a clock that went backwards, gives no figure instead of a wrong one', () => {
  assert.ok(Number.isNaN(cpuPerRequest({ user: 0, system: 0 }, { user: 10, system: 0 }, 0)))
  assert.ok(Number.isNaN(cpuPerRequest({ user: 10, system: 0 }, { user: 0, system: 0 }, 5)))
})

test('the median of the rounds ignores rounds without a figure', () => {
  assert.equal(median([30, 10, 20]), 20)
  assert.equal(median([5, Number.NaN, 1, 3]), 3)
  assert.equal(median([4, 2]), 4)
  assert.ok(Number.isNaN(median([])))
})

test('"× bare" is how many of a case\'s requests fit in one bare request\'s CPU', () => {
  assert.equal(relativeToBase(40, 20), 0.5)
  assert.equal(relativeToBase(10, 20), 2)
  assert.ok(Number.isNaN(relativeToBase(Number.NaN, 20)))
  assert.ok(Number.isNaN(relativeToBase(10, 0)))
})

test('the added share compares what two middlewares add over the same bare framework', () => {
  assert.equal(addedShare({ ours: 30, theirs: 50, bare: 10 }), 0.5)
  assert.equal(addedShare({ ours: 70, theirs: 50, bare: 10 }), 1.5)
  // Cheaper than bare (noise) reads as a negative share, still "met"; a competitor adding nothing gives no figure.
  assert.equal(addedShare({ ours: 8, theirs: 50, bare: 10 }), -0.05)
  assert.ok(Number.isNaN(addedShare({ ours: 30, theirs: 10, bare: 10 })))
})

test('a target table marks each target met or missed by its direction, and cases not run', () => {
  const table = targetTable([
    { name: 'push ≥ 0.25× bare', value: 0.3, goal: 0.25, kind: 'min', unit: '×', detail: '100 µs against 30 µs per request' },
    { name: 'pull ≥ 0.3× bare', value: 0.2, goal: 0.3, kind: 'min', unit: '×' },
    { name: 'adds ≤ 0.5', value: 0.5, goal: 0.5, kind: 'max', unit: '' },
    { name: 'adds ≤ 0.5 (Fastify)', value: 0.75, goal: 0.5, kind: 'max', unit: '' },
    { name: 'not measured', value: Number.NaN, goal: 1, kind: 'min', unit: '×' },
  ])
  const lines = table.split('\n')
  assert.equal(lines[0], '| target | measured | met |')
  assert.equal(lines[2], '| push ≥ 0.25× bare | 0.30× (100 µs against 30 µs per request) | yes |')
  assert.equal(lines[3], '| pull ≥ 0.3× bare | 0.20× | **no** |')
  assert.equal(lines[4], '| adds ≤ 0.5 | 0.50 | yes |')
  assert.equal(lines[5], '| adds ≤ 0.5 (Fastify) | 0.75 | **no** |')
  assert.equal(lines[6], '| not measured | not run | – |')
})

test('microseconds read with one decimal when small, whole and grouped when large', () => {
  assert.equal(formatMicros(12.345), '12.3')
  assert.equal(formatMicros(1234.4), '1,234')
  assert.equal(formatMicros(Number.NaN), '–')
})
