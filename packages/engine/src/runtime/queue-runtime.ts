/**
 * What the engine keeps about a queue besides its state: the code-level
 * options (handler settings, backoff function, back-pressure), metrics and
 * the queue handle's listeners.
 */
import type { QueueState } from '../state/queue-state.js'
import type { BackoffOption, QueueOptions } from '../types.js'
import { Deque } from '../state/deque.js'
import { QueueMetrics } from './metrics.js'
import type { CommitWaiter } from './committer.js'
import { checkLimit, checkRunOptions } from './check-options.js'

/** An `add` waiting for room in a full queue (onFull: 'wait'). */
export interface SpaceWaiter {
  /** There is room: add now (synchronously, so the room is taken before the next waiter is asked). */
  admit(): void
  /** It can never be added (the pipeline is closing). */
  refuse(err: Error): void
}

export class QueueRuntime {
  concurrency = 1
  backoff: BackoffOption | undefined = undefined
  timeout = 0
  leaseMs = 0
  maxPending = Infinity
  onFull: 'wait' | 'reject' = 'wait'
  /** Adds pushed but not yet durable (they count against maxPending). */
  inflightAdds = 0
  /** Shared by every `push()` to this queue (see adds.ts pushWaiter). */
  pushWaiter: CommitWaiter | null = null
  /** `add` calls waiting for space (onFull: 'wait'), admitted in arrival order. */
  readonly spaceWaiters = new Deque<SpaceWaiter>()
  readonly metrics = new QueueMetrics()

  constructor(readonly state: QueueState) {}

  configure(o: QueueOptions): void {
    checkRunOptions(o)
    checkLimit('maxPending', o.maxPending, 0)
    if (o.concurrency !== undefined) this.concurrency = o.concurrency
    if (o.backoff !== undefined) this.backoff = o.backoff
    if (o.timeout !== undefined) this.timeout = o.timeout
    if (o.leaseMs !== undefined) this.leaseMs = o.leaseMs
    if (o.maxPending !== undefined) this.maxPending = o.maxPending
    if (o.onFull !== undefined) this.onFull = o.onFull
    // A higher maxPending makes room at once.
    this.releaseSpace()
  }

  /** Waiting + delayed + in flight. */
  get pending(): number {
    const c = this.state.counts
    return c.waiting + c.delayed + this.inflightAdds
  }

  get full(): boolean {
    return this.pending >= this.maxPending
  }

  /** Admit waiting adds, oldest first, while there is room; each takes its room as it is admitted. */
  releaseSpace(): void {
    while (this.spaceWaiters.size > 0 && !this.full) this.spaceWaiters.shift()!.admit()
  }

  /** Fail every waiting add with `err` (closing). */
  refuseWaiting(err: Error): void {
    for (let w = this.spaceWaiters.shift(); w !== undefined; w = this.spaceWaiters.shift()) w.refuse(err)
  }
}
