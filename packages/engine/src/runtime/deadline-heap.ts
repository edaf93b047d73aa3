/** Indexed min-heap of runs by deadline (lease expiry or timeout). */
import type { ActiveJob } from './active-job.js'

export class DeadlineHeap {
  private readonly items: ActiveJob[] = []

  get size(): number {
    return this.items.length
  }

  peek(): ActiveJob | undefined {
    return this.items[0]
  }

  /** Insert, or re-position after `deadline` changed. */
  upsert(run: ActiveJob): void {
    if (run.hi >= 0) {
      this.up(run.hi)
      this.down(run.hi)
      return
    }
    run.hi = this.items.length
    this.items.push(run)
    this.up(run.hi)
  }

  remove(run: ActiveJob): void {
    const i = run.hi
    if (i < 0 || this.items[i] !== run) return
    const last = this.items.pop()!
    run.hi = -1
    if (i === this.items.length) return
    this.items[i] = last
    last.hi = i
    this.down(i)
    this.up(last.hi)
  }

  private up(i: number): void {
    const a = this.items
    const x = a[i]
    while (i > 0) {
      const p = (i - 1) >> 1
      if (a[p].deadline <= x.deadline) break
      a[i] = a[p]
      a[i].hi = i
      i = p
    }
    a[i] = x
    x.hi = i
  }

  private down(i: number): void {
    const a = this.items
    const n = a.length
    const x = a[i]
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const c = l + 1 < n && a[l + 1].deadline < a[l].deadline ? l + 1 : l
      if (a[c].deadline >= x.deadline) break
      a[i] = a[c]
      a[i].hi = i
      i = c
    }
    a[i] = x
    x.hi = i
  }
}
