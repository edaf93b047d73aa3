/** Public option and callback types of @wq/engine. */
import type { WalOptions } from '@wq/wal'
import type { JobInfo } from './state/job-info.js'

/**
 * How durable a state change is when its promise resolves.
 * - `sync`: fsynced (group commit) — the default.
 * - `sync-enqueue`: adds and moves are fsynced; starts and completions are written and fsynced lazily
 *   (a lost completion only means the job runs again).
 * - `interval`: written at once, fsynced every `intervalMs`.
 * - `os`: written at once, never fsynced by the engine (survives a process crash, not a power cut).
 * - `buffered`: buffered in memory and written in batches.
 * - `memory`: no disk at all (tests).
 */
export type DurabilityMode = 'sync' | 'sync-enqueue' | 'interval' | 'os' | 'buffered' | 'memory'

/** pino-compatible logger. */
export interface Logger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
  debug?(obj: object, msg?: string): void
}

export interface EngineOptions {
  /** Data directory: one WAL directory per pipeline. Required unless durability is `memory`. */
  dir?: string
  durability?: DurabilityMode
  logger?: Logger
  /** Largest encoded job data (and result) accepted. Default 1 MiB. */
  maxDataBytes?: number
  /** Take a snapshot after this many events or bytes logged since the last one; `false` disables. Default 1,000,000 events / 256 MiB. */
  snapshotEvery?: { events?: number; bytes?: number } | false
  /** Drop WAL segments covered by a new automatic snapshot. Default true. */
  compactAfterSnapshot?: boolean
  /** How long `close()` waits for running handlers before aborting them. Default 10 s. */
  closeTimeoutMs?: number
  /** Options passed to each pipeline's WAL (intervalMs, bufferRecords, segmentBytes, fs, …); the engine sets dir, durability and logger. */
  wal?: EngineWalOptions
}

/** Retry delay policy. A function receives the attempt number that failed (1-based) and the error. */
export type BackoffOption =
  | { type: 'fixed'; delay: number }
  | { type: 'exponential'; delay: number; jitter?: number; maxDelay?: number }
  | ((attempt: number, error: Error) => number)

/** Per-job backoff (must be storable, so no function). */
export type StoredBackoffOption = Exclude<BackoffOption, (...args: never[]) => unknown>

export interface QueueOptions {
  /** Default concurrency of `process()`. Default 1. */
  concurrency?: number
  /** Attempts per job (including the first). Default 3. */
  attempts?: number
  backoff?: BackoffOption
  /** Run one job at a time (per group); a failing job blocks until it succeeds or a person acts. */
  serial?: boolean
  /** Running jobs allowed per group. Default 1. */
  groupConcurrency?: number
  /** Completed jobs kept for lookup: a count, or `{ count, age }` (age in ms). Default 1000. */
  keepCompleted?: number | { count?: number; age?: number }
  /**
   * Bound on waiting + delayed jobs, applied to what producers add (`add`, `addBulk`, `push`). Jobs already in
   * the pipeline (retries, `moveTo`, `retryDead`, cron runs) are never refused for room and may take the queue
   * over it; adds then wait or are refused until it is back under. Default unbounded.
   */
  maxPending?: number
  /**
   * What `add` does at `maxPending`: wait for space, or throw QueueFullError. Default `wait`. Waiting adds
   * take room in the order they were made; their data is encoded when `add` is called; `close()` fails
   * those still waiting with EngineClosedError.
   */
  onFull?: 'wait' | 'reject'
  /** Handler time limit in ms (the signal fires, the attempt fails). Default none. */
  timeout?: number
  /** Lease length for in-process handlers; `heartbeat()` renews it. Default none (the process is the lease). */
  leaseMs?: number
}

export interface AddOptions {
  /** Higher runs first. Default 0. */
  priority?: number
  /** Run no earlier than this many ms from now. */
  delay?: number
  /** Run no earlier than this time. */
  runAt?: Date | number
  /** Jobs of a group run in order, `groupConcurrency` at a time, groups served round-robin. */
  group?: string
  /** Unique key: while a job with this key waits, adding another returns it. */
  key?: string
  /** With `key`: keep the existing job's data (default) or replace it. */
  onDuplicate?: 'keep' | 'replace'
  tags?: string[]
  attempts?: number
  backoff?: StoredBackoffOption
  timeout?: number
}

export interface BulkItem<T = unknown> {
  data: T
  options?: AddOptions
}

export interface ProcessOptions {
  concurrency?: number
  timeout?: number
  leaseMs?: number
}

/** Second argument of a handler. */
export interface HandlerContext {
  /** Fires on timeout, lease loss or shutdown. */
  readonly signal: AbortSignal
  /**
   * Renew the lease (when the queue uses one). Returns false, and does nothing, once the lease is gone (it expired,
   * or close() took the job back): the signal has fired by then. Never throws, so it is safe in a timer.
   */
  readonly heartbeat: () => boolean
  /** Record progress (stored, visible in lookups, emits `progress`). */
  readonly progress: (value: unknown) => void
}

/** A handler may return this to complete its job and enqueue the next stage atomically. */
export interface NextStage {
  next: { queue: string; data?: unknown; options?: AddOptions }
  result?: unknown
}

export interface LeaseOptions {
  /** How long the lease lasts without `extend`. Default 30 s. */
  leaseMs?: number
}

/** Percentiles of a sliding window of durations (ms). */
export interface Percentiles {
  count: number
  p50: number
  p90: number
  p99: number
  max: number
}

export interface QueueStats {
  name: string
  pipeline: string
  paused: boolean
  counts: { waiting: number; delayed: number; active: number; dead: number; completed: number }
  totals: { added: number; completed: number; failed: number; retried: number; dead: number }
  waitTime: Percentiles
  runTime: Percentiles
  /** Completions per second over the last 10 s. */
  throughput: number
}

export interface EngineStats {
  pipelines: { name: string; lastLsn: number; pendingEvents: number; queues: QueueStats[] }[]
}

export type { JobInfo }

/** The WAL options an engine passes on to each pipeline's log. */
export type EngineWalOptions = Partial<Omit<WalOptions, 'dir' | 'durability' | 'logger'>>
