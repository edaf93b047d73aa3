/**
 * The workloads, as data: what the parent schedules and the child runs. One
 * definition per table in RESULTS.md.
 */

import type { Options } from './options.js'

export type WorkloadKind = 'enqueue-one' | 'enqueue-bulk' | 'process' | 'e2e' | 'steady'

export interface Workload {
  /** stable id, used by --workloads and as the results key, e.g. `e2e-100b` */
  id: string
  kind: WorkloadKind
  title: string
  /** serialised job data size in bytes */
  payload: number
  /** jobs to enqueue or process (steady: jobs offered over the run) */
  count: number
  /** worker concurrency (process, e2e, steady) */
  concurrency?: number
  /** offered jobs/s (steady) */
  rate?: number
  /** seconds a steady run waits after the last offered job for the backlog to finish */
  drainSeconds?: number
}

export interface WorkloadSizes {
  count: number
  /** quick mode (a smoke test): 100 B payloads only */
  quick?: boolean
  steadyRates: number[]
  steadySeconds: number
}

const PAYLOADS = [
  { bytes: 100, tag: '100b', label: '100 B' },
  { bytes: 4096, tag: '4kib', label: '4 KiB' },
] as const

/** Jobs each one-by-one producer keeps awaiting acknowledgement. */
export const ADD_WINDOW = 1_000
/** Jobs per addBulk call. */
export const BULK_BATCH = 1_000

export function workloads(sizes: WorkloadSizes): Workload[] {
  const n = sizes.count.toLocaleString('en-US')
  const list: Workload[] = []
  const payloads = sizes.quick ? PAYLOADS.slice(0, 1) : PAYLOADS
  for (const p of payloads) {
    list.push({ id: `enqueue-one-${p.tag}`, kind: 'enqueue-one', payload: p.bytes, count: sizes.count, title: `Enqueue ${n} jobs one by one, ${p.label}` })
  }
  for (const p of payloads) {
    list.push({ id: `enqueue-bulk-${p.tag}`, kind: 'enqueue-bulk', payload: p.bytes, count: sizes.count, title: `Enqueue ${n} jobs in bulk (batches of ${BULK_BATCH.toLocaleString('en-US')}), ${p.label}` })
  }
  for (const concurrency of [1, 100]) {
    list.push({ id: `process-c${concurrency}`, kind: 'process', payload: 100, count: sizes.count, concurrency, title: `Process ${n} waiting no-op jobs at concurrency ${concurrency}, 100 B` })
  }
  for (const p of payloads) {
    list.push({ id: `e2e-${p.tag}`, kind: 'e2e', payload: p.bytes, count: sizes.count, concurrency: 100, title: `End to end: enqueue ${n} one by one while processing at concurrency 100, ${p.label}` })
  }
  for (const rate of sizes.steadyRates) {
    for (const p of payloads) {
      list.push({
        id: `steady-${rate}-${p.tag}`,
        kind: 'steady',
        payload: p.bytes,
        rate,
        count: Math.round(rate * sizes.steadySeconds),
        concurrency: 100,
        drainSeconds: Math.min(5, Math.max(1, sizes.steadySeconds * 2)),
        title: `Steady state, open loop: ${rate.toLocaleString('en-US')} jobs/s offered for ${sizes.steadySeconds} s, concurrency 100, ${p.label}`,
      })
    }
  }
  return list
}

/**
 * Steady-state runs are long and their percentiles already rest on thousands of samples: one run each.
 * The end-to-end runs decide the targets, and this machine's speed drifts by 20–40 % from minute to
 * minute: a median of five moves less than a median of three.
 */
export function runsOf(workload: Workload, options: Pick<Options, 'runs' | 'targetRuns'>): number {
  if (workload.kind === 'steady') return 1
  return workload.kind === 'e2e' ? options.targetRuns : options.runs
}
