/**
 * A lane's ready jobs: higher priority first, then lowest id (add order).
 * Most queues use one priority and receive jobs in id order, so each priority
 * level is a FIFO array (O(1) push and pop, where a heap paid O(log n) sift
 * downs per pop); a job that arrives out of id order (a retry, a promoted
 * delayed job, an unlocked one) goes to the level's small side heap, and pop
 * takes the lower id of the two heads, so the order is exactly the heap's.
 *
 * `job.hi` is the job's slot (FIFO index, or index in the side heap) and is
 * -1 when the job is in no structure, as with JobHeap.
 */
import { JobHeap } from './heap.js'
import type { JobRecord } from './job.js'

const byId = (a: JobRecord, b: JobRecord): boolean => a.id < b.id

class Level {
  /** Jobs in increasing id order from `head`; removed ones leave `undefined`. */
  fifo: (JobRecord | undefined)[] = []
  head = 0
  /** Live jobs in `fifo`. */
  inFifo = 0
  /** Id of the last job appended to `fifo` (every live FIFO job has an id at most this). */
  tailId = 0
  readonly side = new JobHeap(byId)

  constructor(readonly priority: number) {}

  get size(): number {
    return this.inFifo + this.side.size
  }

  push(job: JobRecord): void {
    if (this.inFifo === 0) {
      this.fifo.length = 0
      this.head = 0
    } else if (job.id < this.tailId) {
      this.side.push(job)
      return
    }
    job.hi = this.fifo.length
    this.fifo.push(job)
    this.inFifo++
    this.tailId = job.id
  }

  private fifoHead(): JobRecord | undefined {
    const fifo = this.fifo
    let h = this.head
    while (h < fifo.length && fifo[h] === undefined) h++
    this.head = h
    return fifo[h]
  }

  pop(): JobRecord | undefined {
    const first = this.inFifo > 0 ? this.fifoHead() : undefined
    const other = this.side.peek()
    if (first === undefined || (other !== undefined && other.id < first.id)) return this.side.pop()
    this.fifo[this.head++] = undefined
    this.inFifo--
    first.hi = -1
    this.compact()
    return first
  }

  remove(job: JobRecord): void {
    const i = job.hi
    if (i >= 0 && this.fifo[i] === job) {
      this.fifo[i] = undefined
      this.inFifo--
      job.hi = -1
      this.compact()
    } else this.side.remove(job)
  }

  /** Drop the consumed front of the array once it is most of it (renumbering the slots left). */
  private compact(): void {
    const fifo = this.fifo
    if (this.inFifo === 0) {
      fifo.length = 0
      this.head = 0
      return
    }
    if (this.head < 1024 || this.head * 2 < fifo.length) return
    const kept: JobRecord[] = []
    for (let i = this.head; i < fifo.length; i++) {
      const job = fifo[i]
      if (job === undefined) continue
      job.hi = kept.length
      kept.push(job)
    }
    this.fifo = kept
    this.head = 0
  }
}

export class ReadyQueue {
  /** Levels by priority, highest first; usually one. */
  private readonly levels: Level[] = []
  private count = 0

  get size(): number {
    return this.count
  }

  private level(priority: number): Level {
    const levels = this.levels
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i]
      if (l.priority === priority) return l
      if (l.priority < priority) {
        const created = new Level(priority)
        levels.splice(i, 0, created)
        return created
      }
    }
    const created = new Level(priority)
    levels.push(created)
    return created
  }

  push(job: JobRecord): void {
    this.level(job.priority).push(job)
    this.count++
  }

  /** Bulk load (snapshot): the same as push; kept so loaders read as they did with a heap. */
  appendUnordered(job: JobRecord): void {
    this.push(job)
  }

  /** Nothing to restore: order is kept on every push. */
  heapify(): void {}

  pop(): JobRecord | undefined {
    if (this.count === 0) return undefined
    const levels = this.levels
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i]
      if (l.size === 0) continue
      this.count--
      const job = l.pop()!
      // Drop an emptied level unless it is the only one (the common single-priority queue keeps its arrays).
      if (l.size === 0 && levels.length > 1) levels.splice(i, 1)
      return job
    }
    return undefined
  }

  remove(job: JobRecord): void {
    if (job.hi < 0) return
    const levels = this.levels
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i]
      if (l.priority !== job.priority) continue
      const before = l.size
      l.remove(job)
      if (l.size < before) this.count--
      if (l.size === 0 && levels.length > 1) levels.splice(i, 1)
      return
    }
  }
}
