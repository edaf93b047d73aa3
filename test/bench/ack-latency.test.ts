// Enqueue runs report each add's time from the add call to its acknowledgement (bench/compare/producer.ts), and the
// enqueue tables show it as p50 / p99 (bench/compare/report.ts).
import { expect, it } from 'vitest'
import type { BenchJobData, BenchQueue } from '../../bench/compare/adapters/bench-queue.js'
import type { Collected, RunResult } from '../../bench/compare/collected.js'
import { LatencyRecorder, summarize } from '../../bench/compare/latency.js'
import { parseOptions } from '../../bench/compare/options.js'
import { Producer } from '../../bench/compare/producer.js'
import { renderReport } from '../../bench/compare/report.js'
import { SYSTEMS } from '../../bench/compare/systems.js'
import { workloads } from '../../bench/compare/workloads.js'

/** Busy-waits (no timer): the fake system below takes this long to acknowledge, measured on the same clock. */
function spin(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {}
}

it('each acknowledged add is timed from the add call to its acknowledgement, synchronous adds included', async () => {
  const SLOW_MS = 5
  // Even jobs are acknowledged within the add call; odd ones by a promise that settles SLOW_MS later.
  let n = 0
  const queue: BenchQueue = {
    add(_data: BenchJobData) {
      if (n++ % 2 === 0) return undefined
      return new Promise<void>((resolve) => setImmediate(() => { spin(SLOW_MS); resolve() }))
    },
    addBulk() {},
    startWorkers() {},
    async close() {},
  }
  const recorder = new LatencyRecorder(4)
  const producer = new Producer(queue, { count: 40, window: 10, makeData: (t) => ({ t, p: '' }), deadline: Infinity, slotsFreedBy: 'ack', ackLatency: recorder })
  await producer.start()
  expect(producer.acked).toBe(40)
  const s = summarize(recorder)
  expect(s.count).toBe(40)
  // Half were acknowledged at once, half after at least SLOW_MS: the median is a fast one, the p99 a slow one.
  expect(s.p50).toBeLessThan(SLOW_MS)
  expect(s.p99).toBeGreaterThanOrEqual(SLOW_MS)
})

it('without a recorder nothing is timed and every add is still counted', async () => {
  const queue: BenchQueue = { add: () => Promise.resolve(), addBulk() {}, startWorkers() {}, async close() {} }
  const producer = new Producer(queue, { count: 25, window: 10, makeData: (t) => ({ t, p: '' }), deadline: Infinity, slotsFreedBy: 'ack' })
  await producer.start()
  expect(producer.acked).toBe(25)
})

it('the enqueue tables show add→ack p50 / p99, per job one by one and per batch in bulk; other tables do not', () => {
  const list = workloads({ quick: false, count: 1000, steadyRates: [1000], steadySeconds: 1 }).filter((w) => ['enqueue-one-100b', 'enqueue-bulk-100b', 'process-c1'].includes(w.id))
  const systems = SYSTEMS.filter((s) => s.id === 'wq-sync')
  const run = (p50: number, p99: number): RunResult => ({ type: 'workload', jobsPerSec: 1000, done: 1000, target: 1000, seconds: 1, capped: false, rssMb: 50, addToAck: { p50, p99, count: 1000 } })
  // Medians over runs, as every other figure: runs of p50 2, 4 and 3 ms give 3.0.
  const results = new Map(list.map((w) => [w.id, new Map([['wq-sync', [run(2, 20), run(4, 40), run(3, 30)]]])]))
  const c: Collected = {
    options: parseOptions([]), machine: 'test machine', startedAt: new Date('2026-12-02T06:00:00Z'), finishedAt: new Date('2026-12-02T06:30:00Z'),
    versions: {}, systems, skipped: [], failures: [], workloads: list, results, backlog: [],
  }
  const report = renderReport(c)
  const section = (title: RegExp) => report.split('\n### ').find((s) => title.test(s))!
  expect(section(/^Enqueue 1,000 jobs one by one/)).toMatch(/\| add→ack p50 \/ p99 ms \|[\s\S]*\| wq sync \| [^|]+ \| [^|]+ \| 3\.0 \/ 30\.0 \|/)
  expect(section(/^Enqueue 1,000 jobs in bulk/)).toMatch(/\| batch add→ack p50 \/ p99 ms \|[\s\S]*\| 3\.0 \/ 30\.0 \|/)
  expect(section(/^Process 1,000 waiting/)).not.toMatch(/add→ack/)
})
