/**
 * In-process workers whose handlers settle at once would otherwise chain job
 * after job in microtasks and never let the event loop turn: timers, sockets
 * and the log's write callbacks waited until the backlog ran dry. The worker
 * pool starts a bounded number of jobs per turn (see runtime/workers.ts).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { MemoryFs, overrideFs, overrideHandle } from '@wq/wal/testing'
import { cleanupDirs, memoryEngine, recordingLogger } from './helpers.js'

afterEach(cleanupDirs)

async function backlog(q: { addBulk(items: { data: unknown }[]): Promise<unknown> }, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1000) await q.addBulk(Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ data: i + k })))
}

describe('workers yield to the event loop', () => {
  it('a timer set when a backlog of instant jobs starts runs before the backlog is drained', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q')
    const total = 10_000
    await backlog(q, total)
    let done = 0
    let doneWhenTimerRan = -1
    const drained = new Promise<void>((resolve) => q.on('completed', () => { if (++done === total) resolve() }))
    q.process(async () => {}, { concurrency: 1 })
    setTimeout(() => { doneWhenTimerRan = done }, 0)
    await drained
    expect(doneWhenTimerRan).toBeGreaterThanOrEqual(0)
    expect(doneWhenTimerRan).toBeLessThan(total)
    await engine.close()
  })

  it('two queues with backlogs over the per-turn budget both drain', async () => {
    const engine = await memoryEngine()
    const a = engine.queue('a')
    const b = engine.queue('b')
    await backlog(a, 5_000)
    await backlog(b, 5_000)
    let done = 0
    const drained = new Promise<void>((resolve) => engine.on('completed', () => { if (++done === 10_000) resolve() }))
    a.process(async () => {}, { concurrency: 3 })
    b.process(() => undefined, { concurrency: 1 })
    await drained
    expect([a.stats().totals.completed, b.stats().totals.completed]).toEqual([5_000, 5_000])
    await engine.close()
  })

  it('in a disk mode, completions are committed while the backlog drains, not held until it is empty', async () => {
    // Each write finishes on the loop's next turn, as a fast disk's would (its callback comes in a later poll
    // phase). The count held below then depends on how often the workers let the loop turn, not on how fast
    // this machine's disk is: on a real disk a slow CI machine held 10 turns' worth, a fast one 2.
    const mem = new MemoryFs()
    const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))
    const fs = overrideFs(mem, {
      async open(path, mode) {
        const fh = await mem.open(path, mode)
        return overrideHandle(fh, {
          write: async (buf, offset, length, position) => {
            const n = await fh.write(buf, offset, length, position)
            await nextTurn()
            return n
          },
        })
      },
    })
    const engine = await Engine.open({ dir: '/data', durability: 'buffered', logger: recordingLogger(), snapshotEvery: false, wal: { fs } })
    const q = engine.queue('q')
    const total = 20_000
    await backlog(q, total)
    let started = 0
    let committed = 0
    let mostUncommitted = 0
    const drained = new Promise<void>((resolve) => q.on('completed', () => { if (++committed === total) resolve() }))
    q.process(() => {
      started++
      if (started - committed > mostUncommitted) mostUncommitted = started - committed
    }, { concurrency: 1 })
    await drained
    // Before, the log could not write while the handlers ran, fell four buffers behind and stopped committing:
    // ~16,000 of the 20,000 completions were held in memory at once. Now a write lands each turn, so no more
    // than a few turns' starts (1,024 each, runtime/workers.ts) are ever waiting for one.
    expect(mostUncommitted).toBeLessThanOrEqual(4 * 1024)
    await engine.close()
  })
})
