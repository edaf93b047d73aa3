/**
 * Indexed binary min-heap of jobs. Each job remembers its index (`hi`), so a
 * job can be removed from the middle in O(log n) (remove, move, replace) and
 * a job is in at most one heap at a time.
 */
import type { JobRecord } from './job.js'

export type JobOrder = (a: JobRecord, b: JobRecord) => boolean

/** Higher priority first, then FIFO. */
// FIFO uses the job id: ids are handed out in the order adds are logged, so id order is add order
// (a moved job keeps its id, hence its place).
export const byPriority: JobOrder = (a, b) => a.priority > b.priority || (a.priority === b.priority && a.id < b.id)
/** Earliest run time first, then FIFO. */
export const byRunAt: JobOrder = (a, b) => a.runAt! < b.runAt! || (a.runAt === b.runAt && a.id < b.id)

export class JobHeap {
  readonly items: JobRecord[] = []

  constructor(private readonly before: JobOrder) {}

  get size(): number {
    return this.items.length
  }

  peek(): JobRecord | undefined {
    return this.items[0]
  }

  push(job: JobRecord): void {
    const items = this.items
    job.hi = items.length
    items.push(job)
    this.up(job.hi)
  }

  pop(): JobRecord | undefined {
    const items = this.items
    if (items.length === 0) return undefined
    const top = items[0]
    const last = items.pop()!
    if (items.length > 0) {
      items[0] = last
      last.hi = 0
      this.down(0)
    }
    top.hi = -1
    return top
  }

  remove(job: JobRecord): void {
    const i = job.hi
    const items = this.items
    if (i < 0 || items[i] !== job) return
    const last = items.pop()!
    job.hi = -1
    if (i === items.length) return
    items[i] = last
    last.hi = i
    this.down(i)
    this.up(last.hi)
  }

  /** Restore heap order over items appended without ordering (bulk load). */
  heapify(): void {
    const items = this.items
    for (let i = 0; i < items.length; i++) items[i].hi = i
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i)
  }

  /** Append without ordering; call `heapify()` after. */
  appendUnordered(job: JobRecord): void {
    job.hi = this.items.length
    this.items.push(job)
  }

  private up(i: number): void {
    const items = this.items
    const job = items[i]
    while (i > 0) {
      const p = (i - 1) >> 1
      const parent = items[p]
      if (!this.before(job, parent)) break
      items[i] = parent
      parent.hi = i
      i = p
    }
    items[i] = job
    job.hi = i
  }

  private down(i: number): void {
    const items = this.items
    const n = items.length
    const job = items[i]
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && this.before(items[r], items[l]) ? r : l
      const child = items[c]
      if (!this.before(child, job)) break
      items[i] = child
      child.hi = i
      i = c
    }
    items[i] = job
    job.hi = i
  }
}
