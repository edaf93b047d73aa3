// `pnpm bench -- --render-last` writes RESULTS.md from the last run's saved figures: the saved run must render
// exactly as the run did when it was measured (Maps, Dates and all), or the re-rendered report would differ.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import type { Collected, RunResult } from '../../bench/compare/collected.js'
import { parseOptions } from '../../bench/compare/options.js'
import { renderReport } from '../../bench/compare/report.js'
import { keepsSavedRun, loadRun, parseRun, saveRun, serializeRun } from '../../bench/compare/saved-run.js'
import { SYSTEMS } from '../../bench/compare/systems.js'
import { workloads } from '../../bench/compare/workloads.js'

const scratch = mkdtempSync(path.join(os.tmpdir(), 'wq-saved-run-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function run(jobsPerSec: number, latency: boolean): RunResult {
  const summary = { p50: jobsPerSec / 1e6, p99: jobsPerSec / 1e5, count: 1000 }
  return { type: 'workload', jobsPerSec, done: 1000, target: 1000, seconds: 1000 / jobsPerSec, capped: false, rssMb: 50, ...(latency ? { addToStart: summary, addToComplete: summary } : {}) }
}

function collected(): Collected {
  const options = parseOptions(['--runs=2'])
  const list = workloads({ quick: false, count: 1000, steadyRates: [1000], steadySeconds: 1 }).filter((w) => w.id.startsWith('e2e-') || w.id.startsWith('enqueue-one-'))
  const systems = SYSTEMS.filter((s) => ['wq-buffered', 'wq-sync', 'fastq', 'fastq-codec', 'fastq-wal', 'bullmq-always'].includes(s.id))
  const results = new Map<string, Map<string, RunResult[]>>()
  list.forEach((w, wi) => {
    results.set(w.id, new Map(systems.map((s, si) => [s.id, [run(1000 * (wi + 1) * (si + 2), w.kind === 'e2e'), run(1100 * (wi + 1) * (si + 2), w.kind === 'e2e')]])))
  })
  return {
    options, machine: 'test machine', startedAt: new Date('2026-12-02T01:00:00Z'), finishedAt: new Date('2026-12-02T01:30:00Z'),
    versions: { node: 'v20' }, systems, skipped: [{ name: 'sqlite (sqlite-full)', reason: 'not installed' }], failures: [],
    workloads: list, results, backlog: [],
  }
}

it('a saved run renders the same report as the run it was saved from', () => {
  const c = collected()
  const restored = parseRun(serializeRun(c))
  expect(restored.results.get('e2e-100b')).toBeInstanceOf(Map)
  expect(restored.startedAt).toEqual(c.startedAt)
  expect(renderReport(restored)).toBe(renderReport(c))
  expect(renderReport(c)).toMatch(/fastq \+ wq WAL/)
})

it('--render-last reads the file the run saved, and says what to do when there is none', () => {
  const file = path.join(scratch, 'runs', 'last-run.json')
  expect(() => loadRun(file)).toThrow(/no saved run at .*last-run\.json; run pnpm bench first/)
  saveRun(file, collected())
  expect(renderReport(loadRun(file))).toBe(renderReport(collected()))
})

it('--render-last is an option of its own', () => {
  expect(parseOptions(['--render-last']).renderLast).toBe(true)
  expect(parseOptions([]).renderLast).toBe(false)
})

it('only a whole run replaces the saved figures: not a quick run, nor one narrowed to some systems or workloads', () => {
  expect(keepsSavedRun(parseOptions([]))).toBe(true)
  expect(keepsSavedRun(parseOptions(['--no-write']))).toBe(true)
  expect(keepsSavedRun(parseOptions(['--quick']))).toBe(false)
  expect(keepsSavedRun(parseOptions(['--only=wq-buffered,fastq-wal']))).toBe(false)
  expect(keepsSavedRun(parseOptions(['--workloads=e2e']))).toBe(false)
  expect(keepsSavedRun(parseOptions(['--only=wq', '--workloads=e2e', '--runs=3', '--no-write']))).toBe(false)
})
