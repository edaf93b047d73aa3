import { afterEach, describe, expect, it } from 'vitest'
import { Engine, type DurabilityMode } from '@wq/engine'
import { DataStore } from '../src/state/data-store.js'
import { MemoryFs, overrideFs } from '@wq/wal/testing'
import { cleanupDirs, crash, deferred, gate, recordingLogger, tempDir } from './helpers.js'

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

describe('a snapshot written while its jobs finish and new data arrives', () => {
  it('keeps the data it covers: it reads back intact after a crash, and every job has its own data', async () => {
    const mem = new MemoryFs()
    const snapshotOpens = gate()
    const fs = overrideFs(mem, {
      // A snapshot checksums its parts, then opens its file: held there, before any part is copied or written.
      async open(path, mode) {
        if (path.endsWith('.snap.tmp')) await snapshotOpens.pass()
        return mem.open(path, mode)
      },
    })
    const logger = recordingLogger()
    const open = () => Engine.open({ dir: '/data', durability: 'os', logger, snapshotEvery: false, wal: { fs } })
    const engine = await open()
    // Completed jobs are not kept: once done, nothing but the snapshot being written holds their data.
    const q = engine.queue('q', { keepCompleted: 0 })
    const first = await Promise.all(Array.from({ length: 400 }, (_, i) => q.add(dataFor(i))))
    const stillWaiting = await Promise.all(Array.from({ length: 50 }, (_, i) => q.add(dataFor(500 + i), { delay: 3_600_000 })))
    snapshotOpens.hold()
    const snapshot = engine.snapshot()
    await snapshotOpens.reached // encoded and pinned, held before its body is read: its parts are views into the arena
    const done = deferred()
    let completed = 0
    q.on('completed', () => { if (++completed === 400) done.resolve() })
    q.process(async () => {}, { concurrency: 50 })
    await done.promise
    // New data now: without pinning it would land in the blocks the held snapshot still reads from.
    const second = await Promise.all(Array.from({ length: 400 }, (_, i) => q.add(dataFor(1000 + i), { delay: 3_600_000 })))
    snapshotOpens.release()
    const snapshotLsn = (await snapshot).default
    await crash(engine) // no snapshot at close: the restart starts from the one written above

    const again = await open()
    // Overwritten bytes would fail the snapshot's checksum: it would be set aside (with a warning) and the log replayed.
    expect(logger.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([])
    expect(again.recovery.get('default')?.snapshotLsn).toBe(snapshotLsn)
    expect(first.every((job) => again.getJob(job.id) === undefined)).toBe(true)
    stillWaiting.forEach((job, i) => expect(again.getJob(job.id)?.data).toEqual(dataFor(500 + i)))
    second.forEach((job, i) => expect(again.getJob(job.id)?.data).toEqual(dataFor(1000 + i)))
    await again.close()
  })
})
