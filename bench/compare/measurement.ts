/** What the parent asks a child to measure, and what the child reports back. */
import type { LatencySummary } from './latency.js'
import type { Workload } from './workloads.js'

export interface WorkloadRequest {
  type: 'workload'
  systemId: string
  workload: Workload
  /** an empty directory for this measurement */
  dir: string
  redisPort?: number
  /** seconds after which a run stops and reports what it finished (throughput workloads) */
  maxSeconds: number
}

export interface DiskRequest {
  type: 'disk'
  dir: string
  fsyncSeconds: number
  sequentialBytes: number
}

/**
 * A large backlog of waiting jobs, measured in phases, each in its own child:
 * `fill` adds `count` jobs and reports memory; `restart` starts up on what the
 * previous phase left (wq: full WAL replay, SQLite: opening the file; for
 * BullMQ the parent restarts Redis and times its AOF load) and closes cleanly;
 * `restart-snapshot` starts up again from the snapshot that close wrote (wq).
 */
export interface BacklogRequest {
  type: 'backlog'
  systemId: string
  phase: 'fill' | 'restart' | 'restart-snapshot'
  count: number
  /** a fill stops after this many seconds (slow peers); `waiting` then tells how many it holds */
  maxFillSeconds: number
  dir: string
  redisPort?: number
}

export type MeasurementRequest = WorkloadRequest | DiskRequest | BacklogRequest

export interface WorkloadResult {
  type: 'workload'
  /** jobs finished per second over the timed phase */
  jobsPerSec: number
  /** jobs finished in the timed phase (acknowledged adds, or completions) */
  done: number
  /** jobs the workload asked for */
  target: number
  seconds: number
  /** true when maxSeconds stopped the run before `target` */
  capped: boolean
  /** enqueue runs: from calling add (one job, or one batch in bulk) to its acknowledgement */
  addToAck?: LatencySummary
  addToStart?: LatencySummary
  addToComplete?: LatencySummary
  /** steady: jobs offered (completions by the end of the drain grace are `done`) */
  offered?: number
  /** steady: jobs completed when the last one was offered — far below `offered` means the system fell behind */
  completedWhenOffered?: number
  /** peak RSS of the child, MiB */
  rssMb: number
}

export interface DiskResult {
  type: 'disk'
  /** 4 KiB pwrite at offset 0 + fdatasync, per second */
  fdatasyncOverwritePerSec: number
  /** 4 KiB append + fdatasync, per second (the file grows: metadata is journalled too) */
  fdatasyncAppendPerSec: number
  /** 1 MiB sequential writes then one fdatasync, MB/s (10^6 bytes) */
  sequentialWriteMBps: number
  /** The same file rewritten while its pages are cached, no fdatasync, MB/s (absent in runs saved before it was measured) */
  cachedRewriteMBps?: number
}

export interface BacklogResult {
  type: 'backlog'
  phase: BacklogRequest['phase']
  /** fill: seconds to add the jobs; restart: seconds from open to ready to hand out work */
  seconds: number
  /** RSS before the system was opened (after a GC), MiB */
  baselineRssMb: number
  /** RSS with the backlog held (after a GC), MiB */
  rssMb: number
  /** peak RSS of the child, MiB */
  peakRssMb: number
  /** waiting jobs the system reports after the phase */
  waiting: number
  /** seconds a clean close took (restart phases; for wq it writes the snapshot) */
  closeSeconds?: number
}

export type MeasurementResult = WorkloadResult | DiskResult | BacklogResult

export type ChildMessage = { ok: true; result: MeasurementResult } | { ok: false; error: string }
