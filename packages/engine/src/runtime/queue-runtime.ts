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
  /** `add` calls waiting for space (onFull: 'wait'). */
  readonly spaceWaiters = new Deque<() => void>()
  readonly metrics = new QueueMetrics()

  constructor(readonly state: QueueState) {}

  configure(o: QueueOptions): void {
    if (o.concurrency !== undefined) this.concurrency = o.concurrency
    if (o.backoff !== undefined) this.backoff = o.backoff
    if (o.timeout !== undefined) this.timeout = o.timeout
    if (o.leaseMs !== undefined) this.leaseMs = o.leaseMs
    if (o.maxPending !== undefined) this.maxPending = o.maxPending
    if (o.onFull !== undefined) this.onFull = o.onFull
  }

  /** Waiting + delayed + in flight. */
  get pending(): number {
    const c = this.state.counts
    return c.waiting + c.delayed + this.inflightAdds
  }

  get full(): boolean {
    return this.pending >= this.maxPending
  }

  /** Let waiting adds proceed while there is room. */
  releaseSpace(): void {
    // Each released add re-checks for room, so release only as many as fit.
    for (let free = this.maxPending - this.pending; free > 0 && this.spaceWaiters.size > 0; free--) this.spaceWaiters.shift()!()
  }
}
