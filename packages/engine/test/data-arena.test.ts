import { afterEach, describe, expect, it } from 'vitest'
import { Engine, type DurabilityMode } from '@wq/engine'
import { DataStore } from '../src/state/data-store.js'
import { cleanupDirs, deferred, recordingLogger, tempDir } from './helpers.js'

afterEach(() => cleanupDirs())

const KiB = 1024
const ref = () => ({ dataSlab: -1, dataOff: 0, dataLen: 0 })
const filled = (n: number, byte: number) => new Uint8Array(n).fill(byte)
/** Whether every byte of `v` is `byte` (deep equality over 600 KiB is slow). */
const allBytes = (v: Uint8Array, byte: number) => v.length > 0 && v.every((x) => x === byte)

describe('data arena', () => {
  it('reuses a block only once no job references its data and no add is pending in it', () => {
    const store = new DataStore()
    const arena = store.arena
    const a = arena.stage(filled(600 * KiB, 1)) // block 1
    const job = ref()
    store.retain(job, a)
    arena.settle(a) // applied: the job references it now
    const b = arena.stage(filled(600 * KiB, 2)) // does not fit: block 2
    expect(b.buffer).not.toBe(a.buffer)
    const c = arena.stage(filled(600 * KiB, 3)) // block 3; block 1 is still referenced, so it is new memory
    expect(c.buffer).not.toBe(a.buffer)
    expect(allBytes(store.view(job), 1)).toBe(true)
    store.release(job) // block 1 is free now
    arena.settle(b) // block 2: its add was dropped, nothing references it
    const d = arena.stage(filled(600 * KiB, 4)) // block 4 reuses a freed block
    expect([a.buffer, b.buffer]).toContain(d.buffer)
    expect(arena.liveBlocks).toBe(2) // blocks 3 and 4
  })

  it('keeps a block a snapshot is writing from until it is unpinned', () => {
    const store = new DataStore()
    const arena = store.arena
    const a = arena.stage(filled(600 * KiB, 1))
    const job = ref()
    store.retain(job, a)
    arena.settle(a)
    const snapshotChunks = [store.view(job)]
    arena.pin(snapshotChunks)
    arena.stage(filled(600 * KiB, 2)) // moves on to block 2
    store.release(job) // the job is gone, but the snapshot still reads its data
    const c = arena.stage(filled(600 * KiB, 3))
    expect(c.buffer).not.toBe(a.buffer)
    expect(allBytes(snapshotChunks[0], 1)).toBe(true)
    arena.unpin(snapshotChunks)
    expect(arena.liveBlocks).toBe(2)
  })
})

/** Distinct data per job, big enough to go through the arena. */
function dataFor(i: number): { i: number; body: string } {
  return { i, body: `${i}:`.padEnd(3 * KiB, String.fromCharCode(97 + (i % 26))) }
}

describe('jobs with large data while blocks are recycled', () => {
  for (const durability of ['memory', 'os', 'sync'] as DurabilityMode[]) {
    it(`${durability}: every handler, kept completed job, snapshot and restart sees its own data`, async () => {
      const dir = durability === 'memory' ? undefined : tempDir()
      const engine = await Engine.open({ dir, durability, logger: recordingLogger(), snapshotEvery: false })
      const q = engine.queue('q', { keepCompleted: 200 })
      const n = 3000
      const wrong: string[] = []
      const done = deferred()
      let seen = 0
      let snapshot: Promise<unknown> | undefined
      q.process(async (job) => {
        const d = job.data as { i: number; body: string }
        if (JSON.stringify(d) !== JSON.stringify(dataFor(d.i))) wrong.push(`job ${job.id} saw data of ${d.i}`)
        // A snapshot taken mid-run, while blocks are being freed and reused.
        if (++seen === n / 2 && dir !== undefined) snapshot = engine.snapshot()
        if (seen === n) done.resolve()
      }, { concurrency: 50 })
      for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: 100 }, (_, k) => q.add(dataFor(i + k))))
      await done.promise
      await snapshot
      expect(wrong).toEqual([])
      const kept = q.jobs({ state: 'completed', limit: 1000 })
      expect(kept.length).toBe(200)
      for (const info of kept) expect(info.data).toEqual(dataFor((info.data as { i: number }).i))
      // Waiting jobs across a restart: their data comes back from the snapshot written at close.
      const stop = q.pause()
      await stop
      const waiting = await Promise.all(Array.from({ length: 300 }, (_, k) => q.add(dataFor(n + k))))
      await engine.close()
      if (dir === undefined) return
      const again = await Engine.open({ dir, durability, logger: recordingLogger() })
      for (const job of waiting) {
        const d = again.getJob(job.id)?.data as { i: number } | undefined
        expect(d).toEqual(dataFor(d!.i))
      }
      expect(again.queue('q').jobs({ state: 'waiting', limit: 1000 }).length).toBe(300)
      await again.close()
    })
  }
})
