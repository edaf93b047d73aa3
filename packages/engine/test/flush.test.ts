// engine.flush(): a checkpoint for the modes whose acknowledgements do not wait for an fsync. After it resolves,
// a power cut (MemoryFs.crash dropping every unsynced byte) keeps every add and completion acknowledged before it.
import { expect, it } from 'vitest'
import { Engine, type DurabilityMode } from '@wq/engine'
import { FaultyFs, MemoryFs } from '@wq/wal/testing'

const silent = { info() {}, warn() {}, error() {}, debug() {} }

// No fsync of its own in the window the test looks at: a long interval, a big buffer, no snapshots.
const open = (fs: MemoryFs | FaultyFs, durability: DurabilityMode) =>
  Engine.open({
    dir: '/data',
    durability,
    logger: silent,
    closeTimeoutMs: 10,
    snapshotEvery: false,
    wal: { fs, intervalMs: 60_000, flushMs: 1, bufferRecords: 1_000_000, backgroundSyncBytes: 0 },
  })

async function addAndComplete(engine: Engine, count: number) {
  const q = engine.queue('q')
  const ids: string[] = []
  for (let i = 0; i < count; i++) ids.push((await q.add({ i })).id)
  q.process(async (job) => ((job.data as { i: number }).i < count / 2 ? 'done' : new Promise(() => {})), { concurrency: count })
  // Half complete; the other half stay running (their handlers never settle) and go back after the cut.
  await Promise.all(ids.slice(0, count / 2).map((id) => engine.getJob(id)!.finished()))
  return ids
}

for (const mode of ['interval', 'os', 'buffered'] as const) {
  it(`${mode}: everything acknowledged before flush() survives a power cut`, async () => {
    const mem = new MemoryFs()
    const engine = await open(mem, mode)
    const ids = await addAndComplete(engine, 40)
    await engine.flush()
    const image = mem.crash({ unsynced: 'drop', seed: 1 })
    await engine.close()

    const after = await open(image, mode)
    const states = ids.map((id) => after.getJob(id)?.info()?.state)
    expect(states.slice(0, 20)).toEqual(Array(20).fill('completed'))
    expect(states.slice(20)).toEqual(Array(20).fill('waiting'))
    await after.close()
  })

  it(`${mode}: without flush() the same cut loses them (what the test above rules out can happen)`, async () => {
    const mem = new MemoryFs()
    const engine = await open(mem, mode)
    const ids = await addAndComplete(engine, 40)
    const image = mem.crash({ unsynced: 'drop', seed: 1 })
    await engine.close()

    const after = await open(image, mode)
    expect(ids.filter((id) => after.getJob(id) !== undefined)).toEqual([])
    await after.close()
  })
}

it('flush() rejects when the fsync fails, and later adds are refused', async () => {
  const fs = new FaultyFs(new MemoryFs())
  const engine = await open(fs, 'os')
  engine.on('error', () => {})
  await engine.queue('q').add({ i: 1 })
  fs.inject({ op: 'fsync', nth: 1, code: 'EIO', persistent: false })
  await expect(engine.flush()).rejects.toMatchObject({ code: 'EIO' })
  await expect(engine.queue('q').add({ i: 2 })).rejects.toThrow()
  await engine.close().catch(() => undefined)
})

it('memory mode: flush() resolves', async () => {
  const engine = await Engine.open({ durability: 'memory', logger: silent })
  await engine.queue('q').add({ i: 1 })
  await expect(engine.flush()).resolves.toBeUndefined()
  await engine.close()
})

it('flush() and snapshot() reject once a pipeline has stopped after a failed write, though the log itself goes on', async () => {
  // Outside buffered mode a failed write is cut back and the WAL stays usable, but the pipeline stops: a push made
  // before (acknowledged only by its error event) is gone, and a resolved flush would suggest it is safe.
  const fs = new FaultyFs(new MemoryFs())
  const engine = await open(fs, 'os')
  const stopped = new Promise<Error>((resolve) => engine.on('error', resolve))
  fs.inject({ op: 'write', nth: 1, code: 'EIO', persistent: false })
  engine.queue('q').push({ i: 1 })
  expect(await stopped).toMatchObject({ code: 'EIO' })
  await expect(engine.flush()).rejects.toMatchObject({ code: 'EIO' })
  // A snapshot is a checkpoint too, and says the same.
  await expect(engine.snapshot()).rejects.toMatchObject({ code: 'EIO' })
  await engine.close().catch(() => undefined)
})
