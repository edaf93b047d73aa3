/**
 * In-process workers: `queue.process(handler, { concurrency })`. A worker
 * takes jobs through the same lease path as remote workers (RunManager.begin)
 * and settles them with complete/fail. Waking is batched: any number of
 * wake-ups in one tick cost one pump.
 */
import { EngineClosedError } from '../errors.js'
import type { QueueState } from '../state/queue-state.js'
import type { ActiveJob } from './active-job.js'
import type { Pipeline } from './pipeline.js'
import type { HandlerContext } from '../types.js'

export type Handler = (job: ActiveJob<any>, ctx: HandlerContext) => unknown

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
  private readonly dirty = new Set<QueueState>()
  private scheduled = false
  private idleWaiters: (() => void)[] = []
  private running = 0

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
      queueMicrotask(this.pump)
    }
  }

  wakeAll(): void {
    for (const w of this.workers) this.wake(w.queue)
  }

  private readonly pump = (): void => {
    this.scheduled = false
    const p = this.p
    if (p.closing) return
    for (const w of this.workers) {
      if (!this.dirty.has(w.queue)) continue
      this.fill(w)
    }
    this.dirty.clear()
  }

  private fill(w: Worker): void {
    const p = this.p
    const q = w.queue
    while (w.running < w.concurrency && !q.paused && !w.stopped && p.committer.broken === null) {
      const job = p.take(q)
      if (job === undefined) return
      const run = p.runs.begin(job, w.leaseMs, w.timeoutMs)
      w.running++
      this.running++
      this.invoke(w, run)
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
