/**
 * The lease protocol: reserve, complete, fail, extend, and lease expiry.
 * In-process workers use exactly this path; a remote worker will too.
 *
 * A start is applied at once (the job must not be handed out twice) and its
 * record is logged with the next flush — or, when the run finishes before
 * that, folded into the completion record (one record per run).
 */
import { encodeValue } from '../codec/data.js'
import { checkAddOptions, checkName } from './check-options.js'
import { EV_COMPLETE, EV_COMPLETE_NEXT, EV_FAIL, EV_PROGRESS, EV_RUN_COMPLETE, EV_START } from '../codec/event-types.js'
import { LeaseError, JobTimeoutError } from '../errors.js'
import { ACTIVE, type JobRecord } from '../state/job.js'
import { parseJobId } from '../state/job-info.js'
import { RELEASE, RETRY_AT, RETRY_NOW, TO_DEAD, startJob } from '../state/transitions.js'
import { ActiveJob, type RunHost } from './active-job.js'
import { checkMs } from './check-options.js'
import { backoffDelay } from './backoff.js'
import { APPLY, EAGER_START, NOTE } from './committer.js'
import { DeadlineHeap } from './deadline-heap.js'
import { prepareAdd } from './adds.js'
import type { Pipeline } from './pipeline.js'
import type { NextStage } from '../types.js'

const DEFAULT_LEASE_MS = 30_000

function toError(e: unknown): Error {
  if (e instanceof Error) return e
  return new Error(typeof e === 'string' ? e : `non-error thrown: ${String(e)}`)
}

function isNextStage(v: unknown): v is NextStage {
  return typeof v === 'object' && v !== null && 'next' in v && typeof (v as NextStage).next === 'object' &&
    (v as NextStage).next !== null && typeof (v as NextStage).next.queue === 'string'
}

export class RunManager implements RunHost {
  /** Runs handed out and not yet settled. */
  activeCount = 0
  readonly deadlines = new DeadlineHeap()
  private pendingStarts: ActiveJob[] = []
  private startFlushScheduled = false

  constructor(private readonly p: Pipeline) {}

  get pipelineName(): string {
    return this.p.name
  }

  /** Start `job` (already taken from its lane) and return its run. */
  begin(job: JobRecord, leaseMs: number, timeoutMs: number): ActiveJob {
    const p = this.p
    const now = p.now()
    startJob(job, now)
    const run = new ActiveJob(this, job, now, leaseMs, timeoutMs)
    job.run = run
    this.activeCount++
    // Bounded: when work is all microtasks (memory mode) the immediate may come late.
    if (this.pendingStarts.push(run) >= 4096) this.flushStarts()
    if (!this.startFlushScheduled) {
      this.startFlushScheduled = true
      setImmediate(this.flushStartsCallback)
    }
    if (leaseMs > 0 || timeoutMs > 0) {
      if (leaseMs > 0) run.leaseExpiresAt = now + leaseMs
      if (timeoutMs > 0) run.timeoutAt = now + timeoutMs
      run.deadline = Math.min(run.leaseExpiresAt, run.timeoutAt)
      this.deadlines.upsert(run)
      p.timers.arm()
    }
    const rt = p.queueRuntimes.get(job.queue)
    if (rt !== undefined) {
      rt.metrics.wait.add(now - job.createdAt)
      if (rt.spaceWaiters.size > 0) rt.releaseSpace()
    }
    if (p.events.has('active')) p.events.emit('active', p.jobRef(job))
    return run
  }

  private readonly flushStartsCallback = (): void => {
    this.startFlushScheduled = false
    this.flushStarts()
  }

  /** Log every start not logged yet. */
  flushStarts(): void {
    const list = this.pendingStarts
    if (list.length === 0) return
    this.pendingStarts = []
    for (const run of list) this.logStart(run)
  }

  /** Log `run`'s start now, unless it is logged already (careful starts log it before the handler runs). */
  logStart(run: ActiveJob): void {
    if (!run.startPending) return
    run.startPending = false
    try {
      run.startLsn = this.p.committer.submit(EV_START, this.p.ew.start(run.startedAt, run.record.id), EAGER_START, run.record)
    } catch {
      // The log is broken: the pipeline reports it; the job's completion will fail the same way.
    }
  }

  /** Pull one job from `queue` under a lease (remote workers). Null when nothing is ready. */
  reserve(queueName: string, leaseMs = DEFAULT_LEASE_MS): ActiveJob | null {
    this.p.checkOpen()
    checkMs('leaseMs', leaseMs)
    const q = this.p.state.queuesByName.get(queueName)
    if (q === undefined || q.paused) return null
    const job = this.p.take(q)
    return job === undefined ? null : this.begin(job, leaseMs, 0)
  }

  /** Find a live run by lease object or token. */
  resolve(lease: ActiveJob | string): ActiveJob {
    let run: ActiveJob | undefined
    if (typeof lease === 'string') {
      const hash = lease.lastIndexOf('#')
      const parsed = parseJobId(hash < 0 ? lease : lease.slice(0, hash))
      run = parsed && parsed.pipeline === this.p.name ? (this.p.state.jobs.get(parsed.id)?.run as ActiveJob | null | undefined) ?? undefined : undefined
      if (run !== undefined && hash >= 0 && String(run.record.attempts) !== lease.slice(hash + 1)) run = undefined
    } else run = lease
    if (run === undefined || run.settled || run.record.run !== run) {
      throw new LeaseError(`lease ${typeof lease === 'string' ? lease : lease.token} is not held (expired, settled or unknown)`)
    }
    return run
  }

  private finish(run: ActiveJob): void {
    run.settled = true
    this.activeCount--
    if (run.hi >= 0) this.deadlines.remove(run)
  }

  /** Complete a run. A `{ next }` result also enqueues the next stage in the same record. */
  complete(run: ActiveJob, value: unknown): void {
    const p = this.p
    let resultValue = value
    let next: NextStage['next'] | undefined
    if (isNextStage(value)) {
      next = value.next
      resultValue = value.result
    }
    let result: Uint8Array
    let nextPrepared: ReturnType<typeof prepareAdd> | undefined
    try {
      // Transient (no Buffer per result) unless the next stage's encode would overwrite it before it is copied into the event.
      result = encodeValue(resultValue, p.settings.maxDataBytes, 'result', next === undefined)
      if (next !== undefined) {
        // A bad next stage fails this attempt (with the reason), rather than reaching the log.
        checkName('next.queue', next.queue)
        checkAddOptions(next.options ?? {})
        nextPrepared = prepareAdd(p, next.queue, next.data, next.options ?? {})
      }
    } catch (err) {
      this.fail(run, toError(err))
      return
    }
    this.finish(run)
    const now = p.now()
    const job = run.record
    const rt = p.queueRuntimes.get(job.queue)
    if (rt !== undefined) rt.metrics.run.add(now - run.startedAt)
    const combined = run.startPending
    run.startPending = false
    run.combinedStart = combined
    const ew = p.ew
    if (nextPrepared !== undefined) {
      const n = nextPrepared
      const payload = ew.completeNext(now, job.id, combined ? run.startedAt : 0, result, n.queueId, n.jobId, n.params, n.ids, n.data)
      n.rt.inflightAdds++
      p.committer.submit(EV_COMPLETE_NEXT, payload, APPLY, {
        committed: () => { n.rt.inflightAdds--; run.committed() },
        failed: (e) => { n.rt.inflightAdds--; run.failed(e) },
      }, true)
    } else if (combined) {
      p.committer.submit(EV_RUN_COMPLETE, ew.runComplete(now, job.id, run.startedAt, result), APPLY, run)
    } else {
      p.committer.submit(EV_COMPLETE, ew.complete(now, job.id, result), APPLY, run)
    }
  }

  /**
   * Fail a run: retried (after backoff) while attempts remain, else dead.
   * `release` puts the job back without counting the attempt (shutdown).
   */
  fail(run: ActiveJob, error: Error, release = false): void {
    const p = this.p
    this.finish(run)
    if (run.startPending) this.logStart(run)
    const job = run.record
    const now = p.now()
    let outcome: number
    let retryAt = 0
    if (release) outcome = RELEASE
    else if (job.attempts >= job.maxAttempts) outcome = TO_DEAD
    else {
      const rt = p.queueRuntimes.get(job.queue)
      const backoff = job.extra?.backoff ?? rt?.backoff ?? job.queue.backoff
      const delay = backoffDelay(backoff, job.attempts, error)
      outcome = delay > 0 ? RETRY_AT : RETRY_NOW
      retryAt = delay > 0 ? now + delay : 0
    }
    const stack = error.stack ?? ''
    try {
      p.committer.submit(EV_FAIL, p.ew.fail(now, job.id, outcome, retryAt, error.message, stack), APPLY, run)
    } catch (err) {
      // Log broken (the pipeline reports it): the run's own waiter (a lease's fail()) must still hear of it.
      run.failed(err as Error)
    }
  }

  extend(run: ActiveJob, ms?: number): void {
    if (run.settled) throw new LeaseError(`lease ${run.token} is not held (expired or settled)`)
    checkMs('extend ms', ms)
    const leaseMs = ms ?? run.leaseMs
    if (leaseMs <= 0) return
    run.leaseExpiresAt = this.p.now() + leaseMs
    run.deadline = Math.min(run.leaseExpiresAt, run.timeoutAt)
    this.deadlines.upsert(run)
    this.p.timers.arm()
  }

  /**
   * A handler's renewal: false once the lease is gone (expired, or taken back by close()), where the lease
   * protocol's extend() throws. Handlers call it from timers, where a throw would be an uncaught exception.
   */
  heartbeat(run: ActiveJob): boolean {
    if (run.settled) return false
    this.extend(run)
    return true
  }

  progress(run: ActiveJob, value: unknown): void {
    if (run.settled) return
    const p = this.p
    const bytes = encodeValue(value, p.settings.maxDataBytes, 'progress')
    if (run.startPending) this.logStart(run)
    // Progress is informational: applied now and logged lazily (a lost progress value is harmless).
    const payload = p.ew.jobBytes(p.now(), run.record.id, bytes)
    if (run.record.state === ACTIVE) run.record.ext().progress = payload.subarray(payload.length - bytes.length)
    try {
      p.committer.submit(EV_PROGRESS, payload, NOTE, null)
    } catch {
      return
    }
    if (p.events.has('progress')) p.events.emit('progress', p.jobRef(run.record), value)
  }

  /** Expire leases and timeouts due by `now`. */
  expire(now: number): void {
    for (let run = this.deadlines.peek(); run !== undefined && run.deadline <= now; run = this.deadlines.peek()) {
      const timedOut = run.timeoutAt <= now
      const err = timedOut ? new JobTimeoutError(run.timeoutMs) : new LeaseError(`lease expired after ${run.leaseMs} ms without a heartbeat`)
      run.abort(err)
      this.fail(run, err)
    }
  }

  /** Live (unsettled) runs. Scans the jobs: only used at shutdown. */
  activeRuns(): ActiveJob[] {
    const out: ActiveJob[] = []
    if (this.activeCount === 0) return out
    for (const job of this.p.state.jobs.values()) {
      const run = job.run as ActiveJob | null
      if (job.state === ACTIVE && run !== null && !run.settled) out.push(run)
    }
    return out
  }

  /** Abort every running job and put it back without counting the attempt (shutdown timeout). */
  releaseAll(reason: Error): void {
    for (const run of this.activeRuns()) {
      run.abort(reason)
      this.fail(run, reason, true)
    }
  }
}
