/**
 * `Queue`: the handle for one queue of one pipeline (add, process, lease
 * protocol, pause/resume, lookups, dead-job handling, schedules, events).
 */
import type { ActiveJob } from './runtime/active-job.js'
import { addBulk, addOne, pushOne } from './runtime/adds.js'
import { checkRunOptions } from './runtime/check-options.js'
import type { ScheduleInfo, ScheduleOptions } from './runtime/cron.js'
import type { EngineEvents, JobRef } from './runtime/engine-events.js'
import type { Emitter } from './runtime/emitter.js'
import type { Job } from './runtime/job-handle.js'
import { removeDead, retryDead, setPaused } from './runtime/job-ops.js'
import type { Pipeline } from './runtime/pipeline.js'
import type { PipelineHandle } from './pipeline-handle.js'
import { Worker } from './runtime/workers.js'
import { DEFAULT_QUEUE_CONFIG, type StoredQueueConfig } from './state/queue-state.js'
import { listJobs, type JobFilter } from './state/listing.js'
import { publicJobId, type JobInfo } from './state/job-info.js'
import { toStoredBackoff } from './runtime/backoff.js'
import { queueStats } from './runtime/stats.js'
import type { AddOptions, BulkItem, HandlerContext, LeaseOptions, ProcessOptions, QueueOptions, QueueStats } from './types.js'

/** Handler: receives the running job (also usable as the context) and returns the result, or `{ next }`. */
export type JobHandler<T = any, R = unknown> = (job: ActiveJob<T>, ctx: HandlerContext) => Promise<R> | R

/** Stored (logged) part of queue options. */
export function storedConfig(o: QueueOptions, current?: StoredQueueConfig): StoredQueueConfig {
  const base = current ?? DEFAULT_QUEUE_CONFIG
  const kc = o.keepCompleted
  const backoff = o.backoff === undefined || typeof o.backoff === 'function' ? base.backoff : toStoredBackoff(o.backoff)
  // Infinity (keep all, retry forever, no limit per group) is logged as the largest count a record holds.
  const count = (v: number | undefined) => (v === Infinity ? Number.MAX_SAFE_INTEGER : v)
  return {
    serial: o.serial ?? base.serial,
    groupConcurrency: count(o.groupConcurrency) ?? base.groupConcurrency,
    keepCompleted: kc === undefined ? base.keepCompleted : typeof kc === 'number' ? count(kc)! : (count(kc.count) ?? Number.MAX_SAFE_INTEGER),
    keepCompletedAgeMs: kc === undefined ? base.keepCompletedAgeMs : typeof kc === 'number' ? 0 : Math.ceil(kc.age ?? 0),
    attempts: count(o.attempts) ?? base.attempts,
    backoff,
  }
}

type JobEvent = 'added' | 'active' | 'progress' | 'completed' | 'retrying' | 'dead'

export class Queue<T = any> {
  constructor(
    private readonly h: PipelineHandle,
    readonly name: string,
    private readonly events: Emitter<EngineEvents>,
  ) {}

  /** The open pipeline (queue handles exist before a new pipeline has finished opening). */
  private get p(): Pipeline {
    return this.h.open
  }

  get pipeline(): string {
    return this.h.name
  }

  /** Add a job. Resolves once it is durable (per the durability mode). */
  add(data: T, options: AddOptions = {}): Promise<Job<T>> {
    const p = this.h.pipeline
    if (p !== null) return addOne(p, this.name, data, options) as Promise<Job<T>>
    return this.h.ready.then((p) => addOne(p, this.name, data, options) as Promise<Job<T>>)
  }

  /**
   * Add a job without waiting: returns its id at once, with no handle or promise to pay for. The add is logged
   * exactly as `add()` logs it. In `buffered` and `memory` modes that is already its acknowledgement; in the
   * others it becomes durable a moment later, and only `add()` tells you when. A failed write is reported by the
   * engine's `'error'` event (the pipeline then stops accepting work, as for every write failure).
   *
   * Throws at once, writing nothing, on bad data, on a unique `key` (a duplicate needs an answer: use `add()`),
   * when the queue is at `maxPending` (`QueueFullError`, whatever `onFull` says), and while the pipeline is
   * still opening (`EngineError` with code `PIPELINE_OPENING`: await `engine.ready(name)` first).
   */
  push(data: T, options: Omit<AddOptions, 'key' | 'onDuplicate'> = {}): string {
    const p = this.p
    return publicJobId(p.name, pushOne(p, this.name, data, options))
  }

  /** Add many jobs with few log records. */
  addBulk(items: BulkItem<T>[]): Promise<Job<T>[]> {
    return this.h.ready.then((p) => addBulk(p, this.name, items) as Promise<Job<T>[]>)
  }

  /**
   * Run `handler` for this queue's jobs, `concurrency` at a time. Returns a
   * function that stops this worker (running jobs finish).
   */
  process<R = unknown>(handler: JobHandler<T, R>, o: ProcessOptions = {}): () => void {
    if (typeof handler !== 'function') throw new TypeError(`process() takes a handler function, got ${typeof handler}`)
    checkRunOptions(o)
    let stop: (() => void) | null = null
    let stopped = false
    const start = (p: Pipeline) => {
      if (stopped) return
      p.checkOpen()
      const q = p.queueState(this.name)
      const rt = p.queueRuntime(q)
      const w = new Worker(q, handler, o.concurrency ?? rt.concurrency, o.timeout ?? rt.timeout, o.leaseMs ?? rt.leaseMs)
      p.workers.add(w)
      stop = () => p.workers.remove(w)
    }
    if (this.h.pipeline !== null) start(this.h.pipeline)
    else this.h.ready.then(start, () => {})
    return () => {
      stopped = true
      stop?.()
    }
  }

  /** Lease protocol: take one ready job (null when none). */
  reserve(o: LeaseOptions = {}): ActiveJob<T> | null {
    const p = this.h.pipeline
    return p === null ? null : (p.runs.reserve(this.name, o.leaseMs) as ActiveJob<T> | null)
  }

  /** Lease protocol: complete a leased job; resolves when durable. */
  async complete(lease: ActiveJob<T> | string, result?: unknown): Promise<void> {
    const run = this.p.runs.resolve(lease as ActiveJob)
    const done = run.settledDurably()
    this.p.runs.complete(run, result)
    await done
  }

  /** Lease protocol: fail a leased job (retried or dead per its attempts); resolves when durable. */
  async fail(lease: ActiveJob<T> | string, error: Error | string): Promise<void> {
    const run = this.p.runs.resolve(lease as ActiveJob)
    const done = run.settledDurably()
    this.p.runs.fail(run, typeof error === 'string' ? new Error(error) : error)
    await done
  }

  /** Lease protocol: renew a lease for `ms` (default: its lease length). */
  extend(lease: ActiveJob<T> | string, ms?: number): void {
    this.p.runs.extend(this.p.runs.resolve(lease as ActiveJob), ms)
  }

  /** Stop handing out this queue's jobs (persisted). */
  pause(): Promise<void> {
    return this.h.ready.then((p) => setPaused(p, this.name, true))
  }

  resume(): Promise<void> {
    return this.h.ready.then((p) => setPaused(p, this.name, false))
  }

  get paused(): boolean {
    return this.h.pipeline?.state.queuesByName.get(this.name)?.paused ?? false
  }

  /** Page through this queue's jobs. */
  jobs(filter: Omit<JobFilter, 'queue'> = {}): JobInfo[] {
    const p = this.h.pipeline
    return p === null ? [] : listJobs(p.state, p.name, { ...filter, queue: this.name })
  }

  /** Dead jobs: run again with fresh attempts. Resolves with how many. */
  retryDead(): Promise<number> {
    return this.h.ready.then((p) => retryDead(p, this.name))
  }

  /** Dead jobs: delete. Resolves with how many. */
  removeDead(): Promise<number> {
    return this.h.ready.then((p) => removeDead(p, this.name))
  }

  /** Create or replace a recurring job from a cron expression (`data` is the data of every run). */
  schedule(name: string, pattern: string, data?: T, options: ScheduleOptions = {}): Promise<ScheduleInfo> {
    return this.h.ready.then((p) => p.cron.set(name, this.name, pattern, data, options))
  }

  unschedule(name: string): Promise<boolean> {
    return this.h.ready.then((p) => p.cron.remove(name, this.name))
  }

  schedules(): ScheduleInfo[] {
    return this.h.pipeline?.cron.list().filter((s) => s.queue === this.name) ?? []
  }

  stats(): QueueStats {
    return queueStats(this.p, this.p.queueState(this.name))
  }

  /** Listen to this queue's job events (and `drained`). */
  on(event: JobEvent | 'drained', fn: (job: JobRef, value?: unknown) => void): this {
    if (event === 'drained') {
      this.events.on('drained', (queue, pipeline) => {
        if (queue === this.name && pipeline === this.h.name) (fn as unknown as () => void)()
      })
      return this
    }
    const wrapped = (job: JobRef, value?: unknown) => {
      if (job.queue === this.name && job.pipeline === this.h.name) fn(job, value)
    }
    this.events.on(event, wrapped as never)
    return this
  }
}
