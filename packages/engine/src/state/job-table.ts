/**
 * Jobs by id. Ids are handed out densely in log order, so a paged array
 * (`pages[id / PAGE][id % PAGE]`) finds a job with two indexed loads, where a
 * Map with a million entries pays a hash probe and a cache miss per lookup and
 * rehashes as it grows (the Map was the largest cost of a snapshot load).
 * A page is dropped once its last job leaves, so finished ranges cost nothing.
 * Iteration is in id order.
 */
import type { JobRecord } from './job.js'

const PAGE_BITS = 10
const PAGE = 1 << PAGE_BITS
const MASK = PAGE - 1

interface Page {
  slots: (JobRecord | undefined)[]
  used: number
}

function pageIndex(id: number): number {
  return id < 0x80000000 ? id >>> PAGE_BITS : Math.floor(id / PAGE)
}

export class JobTable {
  private readonly pages: (Page | undefined)[] = []
  private count = 0

  get size(): number {
    return this.count
  }

  get(id: number): JobRecord | undefined {
    const page = this.pages[pageIndex(id)]
    return page === undefined ? undefined : page.slots[id & MASK]
  }

  has(id: number): boolean {
    return this.get(id) !== undefined
  }

  set(id: number, job: JobRecord): void {
    const pi = pageIndex(id)
    let page = this.pages[pi]
    if (page === undefined) {
      // Grow the outer array without holes: a holey jump would turn it into a dictionary.
      while (this.pages.length < pi) this.pages.push(undefined)
      page = { slots: new Array<JobRecord | undefined>(PAGE).fill(undefined), used: 0 }
      this.pages[pi] = page
    }
    const i = id & MASK
    if (page.slots[i] === undefined) {
      page.used++
      this.count++
    }
    page.slots[i] = job
  }

  delete(id: number): boolean {
    const pi = pageIndex(id)
    const page = this.pages[pi]
    if (page === undefined) return false
    const i = id & MASK
    if (page.slots[i] === undefined) return false
    page.slots[i] = undefined
    this.count--
    if (--page.used === 0) this.pages[pi] = undefined
    return true
  }

  /** Jobs in id order. */
  *values(): IterableIterator<JobRecord> {
    const pages = this.pages
    for (let p = 0; p < pages.length; p++) {
      const page = pages[p]
      if (page === undefined) continue
      const slots = page.slots
      for (let i = 0; i < PAGE; i++) {
        const job = slots[i]
        if (job !== undefined) yield job
      }
    }
  }

  [Symbol.iterator](): IterableIterator<JobRecord> {
    return this.values()
  }
}
