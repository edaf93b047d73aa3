/**
 * In-process workers: `queue.process(handler, { concurrency })`. A worker
 * takes jobs through the same lease path as remote workers (RunManager.begin)
 * and settles them with complete/fail. Waking is batched: any number of
 * wake-ups in one tick cost one pump.
 *
 * Handlers that settle at once chain job after job in microtasks, which never
 * let the event loop turn: timers, sockets and the log's own write callbacks
 * waited until the queue ran dry. Processing 100,000 waiting jobs that way held
 * every completion in memory (the log could not write them, so none could be
 * committed) and halved the rate of the disk modes. So at most TURN_BUDGET jobs
 * start per event-loop turn; the next pump waits for the next turn.
 */
import { EngineClosedError } from '../errors.js'
import type { QueueState } from '../state/queue-state.js'
import type { ActiveJob } from './active-job.js'
import type { Pipeline } from './pipeline.js'
import type { HandlerContext } from '../types.js'

export type Handler = (job: ActiveJob<any>, ctx: HandlerContext) => unknown

/** Jobs started per event-loop turn, across all workers of a pipeline, before yielding to the loop. */
const TURN_BUDGET = 1024

export class Worker {
  running = 0
  stopped = false
  constructor(
    readonly queue: QueueState,
    readonly handler: Handler,
    readonly concurrency: number,
    readonly timeoutMs: number,
    readonly leaseMs: number,
  ) {}
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(typeof e === 'string' ? e : `non-error thrown: ${String(e)}`)
}

export class WorkerPool {
  private readonly workers: Worker[] = []
  private dirty = new Set<QueueState>()
  /** The other of two sets swapped at each pump, so a queue woken during a pump is kept for the next one. */
  private spare = new Set<QueueState>()
  private scheduled = false
  private idleWaiters: (() => void)[] = []
  private running = 0
  /** Jobs started since the event loop last turned. */
  private startedThisTurn = 0
  /** Careful starts waiting for their start records to be written, and their workers (parallel arrays). */
  private carefulRuns: ActiveJob[] = []
  /** Runs started through startCarefully whose handlers have not been called yet. */
  private carefulWaiting = 0
  private carefulWorkers: Worker[] = []

  constructor(private readonly p: Pipeline) {}

  add(w: Worker): void {
    this.workers.push(w)
    this.wake(w.queue)
  }

  remove(w: Worker): void {
    w.stopped = true
    const i = this.workers.indexOf(w)
    if (i >= 0) this.workers.splice(i, 1)
  }

  wake(q: QueueState): void {
    if (this.workers.length === 0) return
    this.dirty.add(q)
    if (!this.scheduled) {
      this.scheduled = true
      if (this.startedThisTurn < TURN_BUDGET) queueMicrotask(this.pump)
      else setImmediate(this.pump)
    }
  }

  /** Scheduled by a turn's first start: the loop has turned, the budget is whole again. */
  private readonly markTurn = (): void => {
    this.startedThisTurn = 0
  }

  wakeAll(): void {
    for (const w of this.workers) this.wake(w.queue)
  }

  private readonly pump = (): void => {
    this.scheduled = false
    const p = this.p
    if (p.closing) return
    const dirty = this.dirty
    this.dirty = this.spare
    this.spare = dirty
    for (const w of this.workers) {
      if (dirty.has(w.queue)) this.fill(w)
    }
    dirty.clear()
  }

  private fill(w: Worker): void {
    const p = this.p
    const q = w.queue
    while (w.running < w.concurrency && !q.paused && !w.stopped && p.committer.broken === null) {
      if (this.startedThisTurn >= TURN_BUDGET) {
        // Out of budget for this turn: come back to this queue in the next one.
        this.wake(q)
        return
      }
      const job = p.take(q)
      if (job === undefined) return
      if (this.startedThisTurn++ === 0) setImmediate(this.markTurn)
      const run = p.runs.begin(job, w.leaseMs, w.timeoutMs)
      w.running++
      this.running++
      if (job.id <= p.carefulThrough) this.startCarefully(w, run, true)
      // Behind careful starts still waiting for their write, so handlers are called in the order jobs started.
      else if (this.carefulWaiting > 0) this.startCarefully(w, run, false)
      else this.invoke(w, run)
    }
  }

  /**
   * After a crash, a job that existed then runs only once its start record has
   * reached the OS, so that if it crashes the process again the attempt is
   * counted (see carefulStartsThrough). Runs started in the same burst share
   * one wait.
   */
  private startCarefully(w: Worker, run: ActiveJob, logStart: boolean): void {
    if (logStart) this.p.runs.logStart(run)
    this.carefulWaiting++
    this.carefulWorkers.push(w)
    if (this.carefulRuns.push(run) === 1) queueMicrotask(this.awaitCarefulStarts)
  }

  /**
   * Ask for the write only once the burst has pushed all its starts: `written()` covers what was pushed
   * when it is called, and a start pushed after it could land in a later chunk than the one that settles it.
   */
  private readonly awaitCarefulStarts = (): void => {
    const workers = this.carefulWorkers
    const runs = this.carefulRuns
    this.carefulWorkers = []
    this.carefulRuns = []
    void this.p.log.written().then(() => this.invokeCareful(workers, runs))
  }

  private invokeCareful(workers: Worker[], runs: ActiveJob[]): void {
    this.carefulWaiting -= runs.length
    const broken = this.p.committer.broken
    for (let i = 0; i < runs.length; i++) {
      const run = runs[i]
      // Released while waiting (shutdown), or the start could not be written: the handler does not run.
      if (run.settled) this.settle(workers[i], run, undefined, false)
      else if (broken !== null) this.settle(workers[i], run, broken, true)
      else this.invoke(workers[i], run)
    }
  }

  private invoke(w: Worker, run: ActiveJob): void {
    let r: unknown
    try {
      r = w.handler(run, run)
    } catch (err) {
      this.settle(w, run, err, true)
      return
    }
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
      ;(r as PromiseLike<unknown>).then((v) => this.settle(w, run, v, false), (e) => this.settle(w, run, e, true))
    } else this.settle(w, run, r, false)
  }

  private settle(w: Worker, run: ActiveJob, value: unknown, failed: boolean): void {
    w.running--
    this.running--
    const p = this.p
    if (!run.settled) {
      try {
        if (failed) p.runs.fail(run, toError(value))
        else p.runs.complete(run, value)
      } catch (err) {
        // Only a broken log gets here; the pipeline has reported it and the run's waiters were told.
        run.failed(err as Error)
      }
    }
    if (this.running === 0 && this.idleWaiters.length > 0) {
      const ws = this.idleWaiters
      this.idleWaiters = []
      for (const f of ws) f()
    }
    if (!p.closing) this.wake(w.queue)
  }

  /**
   * Stop handing out work and wait for running handlers; after `timeoutMs`,
   * abort them and put their jobs back (attempt not counted).
   */
  async drain(timeoutMs: number): Promise<void> {
    for (const w of this.workers) w.stopped = true
    if (this.running > 0) {
      let timer: NodeJS.Timeout | undefined
      const timedOut = await Promise.race([
        new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(false))),
        new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), timeoutMs) }),
      ])
      clearTimeout(timer)
      if (timedOut) this.p.runs.releaseAll(new EngineClosedError('engine closed while the job was running'))
    }
    // Leases held by remote workers are released too: their jobs go back.
    if (this.p.runs.activeCount > 0) this.p.runs.releaseAll(new EngineClosedError('engine closed while the job was leased'))
  }
}
