/**
 * A pipeline: one log, one state, its queues, and the runtime around them.
 * This file wires the parts; each concern lives in its own module
 * (adds, runs, workers, job-ops, timers, cron, snapshots, recovery).
 */
import { EventWriter } from '../codec/event-writer.js'
import { EV_CLOSE, EV_INTERN, EV_QUEUE_CONFIG } from '../codec/event-types.js'
import { decodeValue } from '../codec/data.js'
import { JobDeadError, JobRemovedError, EngineClosedError } from '../errors.js'
import type { ApplyObserver } from '../state/apply.js'
import { ACTIVE, DELAYED, WAITING, type JobRecord } from '../state/job.js'
import { publicJobId } from '../state/job-info.js'
import type { PipelineState } from '../state/pipeline-state.js'
import type { QueueState, StoredQueueConfig } from '../state/queue-state.js'
import { TO_DEAD, promoteDue } from '../state/transitions.js'
import type { EventLog } from '../log/event-log.js'
import type { Logger, QueueOptions } from '../types.js'
import { APPLY, Committer, NOTE } from './committer.js'
import { QueueRuntime } from './queue-runtime.js'
import type { EngineEvents } from './engine-events.js'
import type { Emitter } from './emitter.js'
import type { RunManager } from './runs.js'
import type { WorkerPool } from './workers.js'
import type { Timers } from './timers.js'
import type { Snapshotter } from './snapshotter.js'
import type { CronSchedules } from './cron.js'

interface Finisher {
  resolve(v: unknown): void
  reject(e: Error): void
}

export interface PipelineSettings {
  name: string
  maxDataBytes: number
  closeTimeoutMs: number
  syncEnqueues: boolean
  /** Drop segments covered by the snapshot taken at close. */
  compactAfterSnapshot: boolean
  logger: Logger
}

export class Pipeline implements ApplyObserver {
  readonly name: string
  readonly ew = new EventWriter()
  readonly committer: Committer
  readonly queueRuntimes = new Map<QueueState, QueueRuntime>()
  /** Jobs with a logged-but-not-applied operation (remove, move, replace): not handed out until it settles. */
  readonly locks = new Map<number, number>()
  /** Jobs taken out of their lane while locked, put back when unlocked. */
  private readonly parked = new Map<number, JobRecord>()
  private readonly finishers = new Map<number, Finisher[]>()
  closing = false
  closed = false
  /** Jobs with ids up to this one start only once their start is logged (see carefulStartsThrough); 0: none. */
  carefulThrough = 0
  /** Open and close records are logged (not in memory mode: there is no restart to tell them apart for). */
  logsRunBoundaries = false
  // Set by the factory once the parts exist (they need the pipeline to be constructed first).
  runs!: RunManager
  workers!: WorkerPool
  timers!: Timers
  snapshotter!: Snapshotter
  cron!: CronSchedules

  constructor(
    readonly state: PipelineState,
    readonly log: EventLog,
    readonly settings: PipelineSettings,
    readonly events: Emitter<EngineEvents>,
  ) {
    this.name = settings.name
    this.committer = new Committer(log, state, this, (err) => this.onBroken(err), settings.syncEnqueues, () => this.snapshotter.check())
    void log.whenStopped().then((err) => this.committer.logStopped(err))
  }

  get logger(): Logger {
    return this.settings.logger
  }

  now(): number {
    return Date.now()
  }

  checkOpen(): void {
    this.throwIfClosing()
    this.throwIfStopped()
  }

  private throwIfClosing(): void {
    if (this.closing) throw new EngineClosedError(`pipeline "${this.name}" is closing`)
  }

  /** Throws the error that stopped the pipeline (a failed write), if one did. */
  private throwIfStopped(): void {
    if (this.committer.broken !== null) throw this.committer.broken
  }

  /**
   * engine.flush() for this pipeline: write and fsync the log. A stopped pipeline (before or while it runs) makes
   * it reject: work given to it may be lost, and a checkpoint that resolved would say otherwise.
   */
  async flush(): Promise<void> {
    this.throwIfStopped()
    await this.log.sync()
    this.throwIfStopped()
  }

  /** engine.snapshot() for this pipeline: a snapshot of everything applied now; rejects like flush(). */
  async snapshotNow(): Promise<number> {
    await this.committer.idle()
    this.throwIfStopped()
    const lsn = await this.snapshotter.takeCurrent()
    this.throwIfStopped()
    return lsn
  }

  // ---- interning -------------------------------------------------------

  /** Id of an interned string; logs it the first time. */
  intern(s: string): number {
    const st = this.state
    let id = st.stringIds.get(s)
    if (id !== undefined) return id
    id = st.strings.length
    st.intern(id, s)
    this.committer.submit(EV_INTERN, this.ew.intern(this.now(), id, s), NOTE, null)
    return id
  }

  /** The queue named `name`, created (and logged) on first use. */
  queueState(name: string): QueueState {
    const q = this.state.queuesByName.get(name)
    if (q !== undefined) return q
    return this.state.queueById(this.intern(name))
  }

  queueRuntime(q: QueueState): QueueRuntime {
    let rt = this.queueRuntimes.get(q)
    if (rt === undefined) {
      rt = new QueueRuntime(q)
      this.queueRuntimes.set(q, rt)
    }
    return rt
  }

  /** Apply queue options; settings that change what events mean are logged. */
  configureQueue(name: string, o: QueueOptions, stored: StoredQueueConfig): QueueRuntime {
    // Not the closed log's WalClosedError from the config record: say what happened. (A stopped log's own error
    // is thrown by the record's submit, and only when the settings change.)
    this.throwIfClosing()
    const q = this.queueState(name)
    const rt = this.queueRuntime(q)
    rt.configure(o)
    const cur = q.config()
    const same = cur.serial === stored.serial && cur.groupConcurrency === stored.groupConcurrency &&
      cur.keepCompleted === stored.keepCompleted && cur.keepCompletedAgeMs === stored.keepCompletedAgeMs &&
      cur.attempts === stored.attempts && JSON.stringify(cur.backoff) === JSON.stringify(stored.backoff)
    if (!same) {
      // Applied in log order like any event (adds logged after it see the new settings, earlier ones do not),
      // so replay gives every job the settings it had live.
      this.committer.submit(EV_QUEUE_CONFIG, this.ew.queueConfig(this.now(), q.id, stored), APPLY, null, true)
    }
    return rt
  }

  // ---- taking work -----------------------------------------------------

  /** Next runnable job of `q` (not yet started), skipping locked ones. */
  take(q: QueueState): JobRecord | undefined {
    const st = this.state
    const top = st.delayed.peek()
    if (top !== undefined && top.runAt! <= this.now()) this.promote()
    for (;;) {
      const job = q.takeNext()
      if (job === undefined) return undefined
      if (this.locks.size > 0 && this.locks.has(job.id)) {
        this.parked.set(job.id, job)
        continue
      }
      return job
    }
  }

  /** Move due delayed jobs to their lanes and wake their queues. */
  promote(): void {
    if (promoteDue(this.state, this.now()) > 0) this.workers.wakeAll()
  }

  lock(id: number): void {
    this.locks.set(id, (this.locks.get(id) ?? 0) + 1)
  }

  unlock(id: number): void {
    const n = (this.locks.get(id) ?? 1) - 1
    if (n > 0) {
      this.locks.set(id, n)
      return
    }
    this.locks.delete(id)
    const job = this.parked.get(id)
    if (job === undefined) return
    this.parked.delete(id)
    if (job.state === WAITING && job.hi < 0) {
      const lane = job.lane
      if (lane.held !== job && this.state.jobs.get(id) === job) lane.ready.push(job)
      job.queue.offer(lane)
      this.wake(job.queue)
    }
  }

  // ---- ApplyObserver -----------------------------------------------------

  added(job: JobRecord): void {
    if (job.state === DELAYED) this.timers.arm()
    else this.wake(job.queue)
    if (this.events.has('added')) this.events.emit('added', this.jobRef(job))
  }

  completed(job: JobRecord, result: Uint8Array | undefined, time: number): void {
    const q = job.queue
    job.run = null
    this.queueRuntime(q).metrics.completed(time)
    const f = this.finishers.get(job.id)
    if (f !== undefined || this.events.has('completed')) {
      const value = decodeValue(result)
      if (f !== undefined) {
        this.finishers.delete(job.id)
        for (const w of f) w.resolve(value)
      }
      this.events.emit('completed', this.jobRef(job), value)
    }
    this.wake(q)
    this.checkDrained(q)
  }

  failed(job: JobRecord, outcome: number, message: string, stack: string | undefined): void {
    if (job.state !== ACTIVE) job.run = null
    const err = new Error(message)
    if (stack !== undefined) err.stack = stack
    if (outcome === TO_DEAD) {
      const id = publicJobId(this.name, job.id)
      this.logger.warn({ pipeline: this.name, queue: job.queue.name, jobId: id, attempts: job.attempts, err: { message, stack } }, 'job is dead: out of attempts')
      const f = this.finishers.get(job.id)
      if (f !== undefined) {
        this.finishers.delete(job.id)
        const dead = new JobDeadError(id, `job ${id} failed ${job.attempts} time(s): ${message}`, { message, stack })
        for (const w of f) w.reject(dead)
      }
      if (this.events.has('dead')) this.events.emit('dead', this.jobRef(job), err)
    } else if (this.events.has('retrying') && message !== '') {
      this.events.emit('retrying', this.jobRef(job), err)
    }
    if (job.state === DELAYED) this.timers.arm()
    this.checkDrained(job.queue)
  }

  removed(job: JobRecord): void {
    this.left(job.queue)
    const f = this.finishers.get(job.id)
    if (f === undefined) return
    this.finishers.delete(job.id)
    const err = new JobRemovedError(publicJobId(this.name, job.id))
    for (const w of f) w.reject(err)
  }

  left(q: QueueState): void {
    // A waiting or delayed job removed or moved away leaves room that no start will release. Not from inside
    // apply: admitting an add submits a record, and the committer is settling.
    const rt = this.queueRuntimes.get(q)
    if (rt !== undefined && rt.spaceWaiters.size > 0) queueMicrotask(() => rt.releaseSpace())
  }

  wake(q: QueueState): void {
    this.workers.wake(q)
  }

  private checkDrained(q: QueueState): void {
    const c = q.counts
    if (c.waiting === 0 && c.active === 0 && this.events.has('drained')) this.events.emit('drained', q.name, this.name)
  }

  /** Register a `finished()` waiter for a job that has not finished yet. */
  awaitFinish(id: number): Promise<unknown> {
    // A broken log will never record the outcome, nor will a closed pipeline: say so instead of waiting forever.
    if (this.committer.broken !== null) return Promise.reject(this.committer.broken)
    if (this.closed) return Promise.reject(this.closedWhileWaiting(id))
    return new Promise((resolve, reject) => {
      const list = this.finishers.get(id)
      if (list === undefined) this.finishers.set(id, [{ resolve, reject }])
      else list.push({ resolve, reject })
    })
  }

  /** Light reference passed to event listeners. */
  jobRef(job: JobRecord): { id: string; queue: string; pipeline: string; attempts: number } {
    return { id: publicJobId(this.name, job.id), queue: job.queue.name, pipeline: this.name, attempts: job.attempts }
  }

  private onBroken(err: Error): void {
    this.logger.error({ pipeline: this.name, err: { message: err.message } }, 'log write failed: pipeline stops accepting work')
    this.rejectFinishers(() => err)
    // Nothing can start or be removed on a stopped log, so no room will come: adds waiting for it fail now.
    for (const rt of this.queueRuntimes.values()) rt.refuseWaiting(err)
    this.events.emit('error', err)
  }

  // ---- shutdown --------------------------------------------------------

  async close(opts: { snapshot?: boolean } = {}): Promise<void> {
    if (this.closed) return
    this.closing = true
    // Nothing leaves a closing pipeline's queues to make room: adds waiting for it fail now rather than never settle.
    for (const rt of this.queueRuntimes.values()) rt.refuseWaiting(new EngineClosedError(`pipeline "${this.name}" closed while the add waited for room`))
    await this.workers.drain(this.settings.closeTimeoutMs)
    this.runs.flushStarts()
    this.timers.stop()
    await this.committer.idle()
    if (opts.snapshot !== false && this.committer.broken === null) {
      try {
        await this.snapshotter.takeCurrent()
        if (this.settings.compactAfterSnapshot) await this.log.compact()
      } catch (err) {
        this.logger.warn({ pipeline: this.name, err: { message: (err as Error).message } }, 'snapshot on close failed')
      }
    }
    this.logCleanClose()
    await this.committer.idle()
    this.closed = true
    // Jobs that did not finish before the close (waiting, delayed, or running past closeTimeoutMs and put back):
    // their finished() would otherwise wait forever. They are still in the log and run after the next open.
    this.rejectFinishers((id) => this.closedWhileWaiting(id))
    await this.log.close()
  }

  /** Settle every finished() still waiting: the outcome will never be logged by this pipeline. */
  private rejectFinishers(reason: (id: number) => Error): void {
    for (const [id, list] of this.finishers) {
      this.finishers.delete(id)
      for (const w of list) w.reject(reason(id))
    }
  }

  private closedWhileWaiting(id: number): EngineClosedError {
    return new EngineClosedError(`pipeline "${this.name}" closed before job ${publicJobId(this.name, id)} finished; it runs after the next open`)
  }

  /**
   * The last record of a clean stop: recovery tells it from a crash by it. It
   * passes on the careful-start bound while a job under it could still run,
   * so a clean open and close between two crashes does not reset it.
   */
  private logCleanClose(): void {
    if (!this.logsRunBoundaries || this.committer.broken !== null) return
    let careful = 0
    if (this.carefulThrough > 0) {
      for (const job of this.state.jobs.values()) {
        if (job.id > this.carefulThrough) break
        if (job.state === WAITING || job.state === DELAYED || job.state === ACTIVE) {
          careful = this.carefulThrough
          break
        }
      }
    }
    try {
      this.committer.submit(EV_CLOSE, this.ew.close(this.now(), careful), NOTE, null)
    } catch {
      // The log broke just now: the next open sees no close and is careful, the safe side.
    }
  }
}
