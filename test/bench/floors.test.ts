// The fastq target is shown beside its two floors (bench/compare/report.ts floorRows): each row's distance below
// fastq, on the end-to-end workloads only, and marked within or beyond the target's 3×.
import { expect, it } from 'vitest'
import type { Collected, RunResult } from '../../bench/compare/collected.js'
import { parseOptions } from '../../bench/compare/options.js'
import { floorRows, renderReport } from '../../bench/compare/report.js'
import { SYSTEMS } from '../../bench/compare/systems.js'
import { workloads } from '../../bench/compare/workloads.js'

function run(jobsPerSec: number): RunResult {
  return { type: 'workload', jobsPerSec, done: 1000, target: 1000, seconds: 1000 / jobsPerSec, capped: false, rssMb: 50 }
}

/** One run per system and workload at the given rate; a system left out of `rates` did not run. */
function collected(rates: Record<string, number>): Collected {
  const list = workloads({ quick: false, count: 1000, steadyRates: [1000], steadySeconds: 1 }).filter((w) => w.id === 'e2e-100b' || w.id === 'enqueue-one-100b')
  const systems = SYSTEMS.filter((s) => s.id in rates)
  const results = new Map(list.map((w) => [w.id, new Map(systems.map((s) => [s.id, [run(rates[s.id])]]))]))
  return {
    options: parseOptions([]), machine: 'test machine', startedAt: new Date('2026-12-02T06:00:00Z'), finishedAt: new Date('2026-12-02T06:30:00Z'),
    versions: {}, systems, skipped: [], failures: [], workloads: list, results, backlog: [],
  }
}

it('each floor and wq row is shown as how many times faster fastq ran, judged against the 3× of the target', () => {
  const c = collected({ 'fastq': 1_200_000, 'fastq-codec': 600_000, 'fastq-wal': 300_000, 'wq-memory': 250_000, 'wq-buffered': 200_000, 'bullmq-off': 10_000 })
  const rows = floorRows(c)
  // Only the end-to-end workload is judged, in the order floors first, then wq without and with its log; peers are not rows.
  expect(rows.map((r) => [r[0], r[1], r[2], r[3], r[4]])).toEqual([
    ['e2e-100b', 'fastq + msgpack copy', '600,000', '2.0×', 'within 3×'],
    ['e2e-100b', 'fastq + wq WAL', '300,000', '4.0×', 'beyond 3×'],
    ['e2e-100b', 'wq memory', '250,000', '4.8×', 'beyond 3×'],
    ['e2e-100b', 'wq buffered', '200,000', '6.0×', 'beyond 3×'],
  ])
  expect(renderReport(c)).toMatch(/### The fastq target beside its floors \(end to end\)\n\n[^\n]+\n\n\| Workload \| Row \| jobs\/s \| fastq ÷ row \|/)
})

it('exactly 3× below fastq is within the target, and rows that did not run are left out', () => {
  const rows = floorRows(collected({ 'fastq': 900_000, 'fastq-codec': 300_000, 'wq-buffered': 299_000 }))
  expect(rows.map((r) => [r[1], r[3], r[4]])).toEqual([
    ['fastq + msgpack copy', '3.0×', 'within 3×'],
    ['wq buffered', '3.0×', 'beyond 3×'],
  ])
})

it('without a fastq row there is nothing to set the floors beside, and no section', () => {
  const c = collected({ 'fastq-codec': 600_000, 'wq-buffered': 200_000 })
  expect(floorRows(c)).toEqual([])
  expect(renderReport(c)).not.toMatch(/beside its floors/)
})
