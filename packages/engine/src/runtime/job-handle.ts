/**
 * `Job`: the public handle of a job, returned by `add` and `getJob`. It holds
 * only the pipeline and the id; every getter reads the current state.
 */
import { decodeValue } from '../codec/data.js'
import { JobDeadError, JobStateError } from '../errors.js'
import { COMPLETED, DEAD, REMOVED, STATE_NAMES, type JobRecord } from '../state/job.js'
import { jobInfo, publicJobId, type JobInfo, type JobState } from '../state/job-info.js'
import type { Pipeline } from './pipeline.js'
import type { CommitWaiter } from './committer.js'
import { moveJobTo, removeJob, retryJob } from './job-ops.js'

export class Job<T = unknown, R = unknown> implements CommitWaiter {
  private addedPromise: Promise<Job<T, R>> | null = null
  private resolveAdded: ((j: Job<T, R>) => void) | null = null
  private rejectAdded: ((e: Error) => void) | null = null
  private rt: { inflightAdds: number } | null = null

  private id_: number

  constructor(
    private readonly p: Pipeline,
    numericId: number,
    readonly queue: string,
    alreadyAdded = false,
  ) {
    this.id_ = numericId
    if (!alreadyAdded) {
      this.addedPromise = new Promise((resolve, reject) => {
        this.resolveAdded = resolve
        this.rejectAdded = reject
      })
    }
  }

  /** Pipeline-local numeric id. */
  get numericId(): number {
    return this.id_
  }

  /**
   * @internal An add that waited for room gets its handle (and the promise its caller awaits) at the call,
   * and its id when admitted: ids are handed out in log order.
   */
  assignId(id: number): void {
    this.id_ = id
  }

  /** @internal The add turned out to be a duplicate: settle as `outcome` does (with the existing job's handle). */
  adopt(outcome: Promise<Job<T, R>>): void {
    const resolve = this.resolveAdded
    const reject = this.rejectAdded
    this.resolveAdded = this.rejectAdded = null
    if (resolve !== null && reject !== null) outcome.then(resolve, reject)
  }

  /** Resolves once the add is durable (then the job exists in the state). */
  get added(): Promise<Job<T, R>> {
    return (this.addedPromise ??= Promise.resolve(this))
  }

  /** @internal The job itself waits for its add record (no extra object per add). */
  waiter(rt: { inflightAdds: number }): CommitWaiter {
    this.rt = rt
    return this
  }

  /** @internal */
  committed(): void {
    this.rt!.inflightAdds--
    this.settleAdd(null)
  }

  /** @internal */
  failed(err: Error): void {
    this.rt!.inflightAdds--
    this.settleAdd(err)
  }

  /** @internal */
  settleAdd(err: Error | null): void {
    if (err === null) this.resolveAdded?.(this)
    else this.rejectAdded?.(err)
    this.resolveAdded = this.rejectAdded = null
  }

  get id(): string {
    return publicJobId(this.p.name, this.numericId)
  }

  get pipeline(): string {
    return this.p.name
  }

  private record(): JobRecord | undefined {
    return this.p.state.jobs.get(this.numericId)
  }

  /** Current state; undefined once the job is gone (removed, or evicted from the completed record). */
  get state(): JobState | undefined {
    const r = this.record()
    return r === undefined ? undefined : (STATE_NAMES[r.state] as JobState)
  }

  get data(): T | undefined {
    const r = this.record()
    return r === undefined ? undefined : (r.queue.store.decode(r) as T)
  }

  get attempts(): number {
    return this.record()?.attempts ?? 0
  }

  /** Everything known about the job (state, attempts, errors, timestamps, tags, progress, history). */
  info(): JobInfo | undefined {
    const r = this.record()
    return r === undefined ? undefined : jobInfo(this.p.name, r)
  }

  /**
   * Resolves with the handler's result once the completion is durable;
   * rejects with JobDeadError when the job runs out of attempts, JobRemovedError when removed.
   */
  finished(): Promise<R> {
    const r = this.record()
    if (r === undefined) {
      return Promise.reject(new JobStateError(`job ${this.id} is not known (removed, or no longer kept after completing)`))
    }
    if (r.state === COMPLETED) return Promise.resolve(decodeValue(r.extra?.result) as R)
    if (r.state === DEAD) {
      const last = r.extra?.errors?.at(-1)
      return Promise.reject(new JobDeadError(this.id, `job ${this.id} is dead: ${last?.message ?? 'failed'}`, last))
    }
    if (r.state === REMOVED) return Promise.reject(new JobStateError(`job ${this.id} was removed`))
    return this.p.awaitFinish(this.numericId) as Promise<R>
  }

  /** Dead job: run again with fresh attempts. */
  retry(): Promise<void> {
    return retryJob(this.p, this.numericId)
  }

  /** Remove a job that is not running. */
  remove(): Promise<void> {
    return removeJob(this.p, this.numericId)
  }

  /** Move a waiting, delayed or dead job to another queue of the same pipeline (fresh attempts), optionally with new data. */
  moveTo(queue: string, opts: { data?: unknown } = {}): Promise<void> {
    return moveJobTo(this.p, this.numericId, queue, opts)
  }

  toJSON(): JobInfo | { id: string; queue: string } {
    return this.info() ?? { id: this.id, queue: this.queue }
  }
}
