import { describe, expect, it } from 'vitest'
import { JobHeap, byPriority } from '../src/state/heap.js'
import { JobRecord } from '../src/state/job.js'
import type { Lane } from '../src/state/lane.js'
import { JobTable } from '../src/state/job-table.js'
import { ReadyQueue } from '../src/state/ready-queue.js'

/** Small deterministic PRNG so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const lane = {} as Lane
const job = (id: number, priority: number) => new JobRecord(id, lane, priority, 3, 0)

describe('ReadyQueue', () => {
  it('hands out jobs in the same order as a priority heap (priority, then id) through pushes, re-pushes and removals', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = rng(seed)
      const q = new ReadyQueue()
      const h = new JobHeap(byPriority)
      const out: JobRecord[] = [] // popped jobs, some pushed back later (a retry: out of id order)
      const inQueue: JobRecord[] = []
      let id = 0
      const popped: number[] = []
      const expected: number[] = []
      for (let step = 0; step < 5000; step++) {
        const r = next()
        if (r < 0.45) {
          const j = job(++id, seed % 2 === 0 ? 0 : Math.floor(next() * 3))
          const twin = job(j.id, j.priority)
          q.push(j); h.push(twin); inQueue.push(j)
          out.push(twin)
        } else if (r < 0.8) {
          const a = q.pop()
          const b = h.pop()
          popped.push(a?.id ?? -1)
          expected.push(b?.id ?? -1)
          if (a !== undefined) expect(a.hi).toBe(-1)
        } else if (r < 0.9 && inQueue.length > 0) {
          const j = inQueue[Math.floor(next() * inQueue.length)]
          if (j.hi >= 0) {
            q.remove(j)
            h.remove(out.find((t) => t.id === j.id && t.hi >= 0) ?? j)
            expect(j.hi).toBe(-1)
          }
        } else if (inQueue.length > 0) {
          // Push back a job that is out (an older id arriving late).
          const j = inQueue[Math.floor(next() * inQueue.length)]
          const twin = out.find((t) => t.id === j.id)!
          if (j.hi < 0 && twin.hi < 0) { q.push(j); h.push(twin) }
        }
        expect(q.size).toBe(h.size)
      }
      while (h.size > 0) { popped.push(q.pop()!.id); expected.push(h.pop()!.id) }
      expect(q.size).toBe(0)
      expect(popped).toEqual(expected)
    }
  })
})

describe('JobTable', () => {
  it('keeps jobs by id across pages, iterates in id order and frees emptied pages', () => {
    const t = new JobTable()
    const ids = [1, 2, 1023, 1024, 5000, 3_000_000_000, 7]
    for (const id of ids) t.set(id, job(id, 0))
    expect(t.size).toBe(ids.length)
    expect([...t.values()].map((j) => j.id)).toEqual([...ids].sort((a, b) => a - b))
    expect(t.get(3_000_000_000)?.id).toBe(3_000_000_000)
    expect(t.has(3)).toBe(false)
    t.set(7, job(7, 1)) // replacing does not count twice
    expect(t.size).toBe(ids.length)
    expect(t.delete(1024)).toBe(true)
    expect(t.delete(1024)).toBe(false)
    expect(t.get(1024)).toBeUndefined()
    for (const id of ids) t.delete(id)
    expect(t.size).toBe(0)
    expect([...t.values()]).toEqual([])
  })
})
