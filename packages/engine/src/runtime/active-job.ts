/**
 * One run of a job: the lease handed out by `reserve()` and the object a
 * handler receives (as both the job and its context). Created once per run;
 * the abort controller and the bound helpers are created only if used.
 */
import { publicJobId } from '../state/job-info.js'
import type { JobRecord, RunRef } from '../state/job.js'
import { revertStart } from '../state/transitions.js'
import type { CommitWaiter } from './committer.js'
import type { HandlerContext } from '../types.js'

const NOT_DECODED = Symbol('not decoded')

/** What a run needs from the pipeline (kept narrow so runs do not depend on it). */
export interface RunHost {
  readonly pipelineName: string
  extend(run: ActiveJob, ms?: number): void
  heartbeat(run: ActiveJob): boolean
  progress(run: ActiveJob, value: unknown): void
}

export class ActiveJob<T = unknown> implements HandlerContext, CommitWaiter, RunRef {
  /** Whether the start is still unlogged (it rides with the next flush, or with the completion). */
  startPending = true
  /** The completion/failure record also carried the start (undo the start if it fails). */
  combinedStart = false
  /** Completed, failed, expired or released: later settle calls are refused. */
  settled = false
  /** LSN of the start record, 0 while not logged (snapshots cut on it). */
  startLsn = 0
  /** Earliest of lease expiry and timeout; Infinity when neither applies. */
  deadline = Infinity
  leaseExpiresAt = Infinity
  timeoutAt = Infinity
  /** Index in the deadline heap. */
  hi = -1
  private controller: AbortController | null = null
  private decoded: unknown = NOT_DECODED
  private boundHeartbeat: (() => boolean) | null = null
  private boundProgress: ((value: unknown) => void) | null = null
  private onCommitted: (() => void) | null = null
  private onFailed: ((err: Error) => void) | null = null

  constructor(
    private readonly host: RunHost,
    readonly record: JobRecord,
    readonly startedAt: number,
    readonly leaseMs: number,
    readonly timeoutMs: number,
  ) {}

  /** Public job id. */
  get id(): string {
    return publicJobId(this.host.pipelineName, this.record.id)
  }

  /** Token identifying this lease (job id and attempt). */
  get token(): string {
    return `${this.id}#${this.record.attempts}`
  }

  get queue(): string {
    return this.record.queue.name
  }

  /** The job's data, decoded on first access. */
  get data(): T {
    if (this.decoded === NOT_DECODED) this.decoded = this.record.queue.store.decode(this.record)
    return this.decoded as T
  }

  /** 1-based number of this attempt. */
  get attempt(): number {
    return this.record.attempts
  }

  get maxAttempts(): number {
    return this.record.maxAttempts
  }

  get priority(): number {
    return this.record.priority
  }

  get group(): string | undefined {
    return this.record.lane.group
  }

  get key(): string | undefined {
    return this.record.extra?.key
  }

  get tags(): string[] {
    return this.record.extra?.tags ?? []
  }

  get createdAt(): Date {
    return new Date(this.record.createdAt)
  }

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal
  }

  get heartbeat(): () => boolean {
    return (this.boundHeartbeat ??= () => this.host.heartbeat(this))
  }

  get progress(): (value: unknown) => void {
    return (this.boundProgress ??= (value: unknown) => this.host.progress(this, value))
  }

  /** Fire the signal (timeout, lease loss, shutdown). */
  abort(reason: Error): void {
    if (this.controller === null) this.controller = new AbortController()
    if (!this.controller.signal.aborted) this.controller.abort(reason)
  }

  /** Promise resolved when this run's completion or failure is durable. */
  settledDurably(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.onCommitted = resolve
      this.onFailed = reject
    })
  }

  committed(): void {
    this.onCommitted?.()
  }

  failed(err: Error): void {
    if (this.combinedStart) {
      revertStart(this.record)
      this.record.run = null
    }
    this.onFailed?.(err)
  }
}
