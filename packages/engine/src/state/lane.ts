/**
 * A lane is the unit of ordering inside a queue: the ungrouped jobs of a queue
 * share one lane, and each group has its own. A lane holds its ready jobs in a
 * priority-then-FIFO queue and counts its running jobs; a serial lane additionally holds
 * the job that blocks it until that job succeeds or is removed.
 */
import { ReadyQueue } from './ready-queue.js'
import { WAITING, type JobRecord } from './job.js'
import type { QueueState } from './queue-state.js'

export class Lane {
  readonly ready = new ReadyQueue()
  running = 0
  /** Serial queues: the job that must succeed before anything else in this lane runs. */
  held: JobRecord | null = null
  /** Jobs that reference this lane (waiting, delayed, active, or held); the lane is dropped at zero. */
  members = 0
  inRing = false

  constructor(readonly queue: QueueState, readonly group: string | undefined) {}

  get limit(): number {
    if (this.queue.serial) return 1
    return this.group === undefined ? Infinity : this.queue.groupConcurrency
  }

  /** Whether this lane can hand out a job now. */
  get eligible(): boolean {
    if (this.running >= this.limit) return false
    const held = this.held
    if (held !== null) return held.state === WAITING && held.hi < 0
    return this.ready.size > 0
  }

  /** Next job to run, taken out of the ready structure (the caller starts it). */
  take(): JobRecord | undefined {
    const held = this.held
    if (held !== null) return held.state === WAITING ? held : undefined
    return this.ready.pop()
  }
}
