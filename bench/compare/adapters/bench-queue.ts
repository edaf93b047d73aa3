/**
 * The one shape every compared system is driven through, so each workload is
 * written once and runs identically against wq and its peers.
 */

/** Job data: `t` is the add time (performance.now() in the same process) for latency; `p` pads to the payload size. */
export interface BenchJobData {
  t: number
  p: string
}

export interface WorkerHooks {
  /**
   * Whether onComplete needs the job's add time (latency runs). A system whose
   * completion event carries no data passes it on another way (wq: as the job's
   * result), a cost only paid when asked for.
   */
  completionData?: boolean
  /** called by the no-op handler when a job starts */
  onStart(data: BenchJobData): void
  /** called once the system reports the job completed (after its own bookkeeping); `addedAt` (the data's `t`) only with `completionData` */
  onComplete(addedAt: number | undefined): void
}

export interface BenchQueue {
  /** Add one job; a promise when the system acknowledges asynchronously, undefined when it already has. */
  add(data: BenchJobData): Promise<unknown> | void
  /** Add a batch with the system's bulk API. */
  addBulk(batch: BenchJobData[]): Promise<unknown> | void
  /** Start consuming with `concurrency` jobs in flight; every job runs the same no-op handler. */
  startWorkers(concurrency: number, hooks: WorkerHooks): void | Promise<void>
  /** Stop workers and release everything; jobs left over are of no interest. */
  close(): Promise<void>
}

/** Where and how a child opens its system. */
export interface OpenContext {
  /** an empty directory owned by this measurement */
  dir: string
  /** the Redis port, for BullMQ configurations */
  redisPort?: number
}
