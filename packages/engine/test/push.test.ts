import { afterEach, describe, expect, it } from 'vitest'
import { Engine, JobDataError, QueueFullError } from '@wq/engine'
import { FaultyFs } from '@wq/wal/testing'
import { nodeFs } from '@wq/wal'
import { cleanupDirs, deferred, memoryEngine, nextEvent, recordingLogger, tempDir } from './helpers.js'

afterEach(() => cleanupDirs())

describe('Queue.push: add without a handle or a promise', () => {
  it('returns the id at once; the job runs with its data and options, in order with add()', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q')
    const seen: unknown[] = []
    const all = deferred()
    q.process(async (job) => { seen.push(job.data); if (seen.length === 3) all.resolve() }, { concurrency: 1 })
    const a = q.push({ n: 1 })
    const b = await q.add({ n: 2 })
    const c = q.push({ n: 3 }, { tags: ['pushed'] })
    expect(typeof a).toBe('string')
    await all.promise
    expect(engine.getJob(c)!.info()!.tags).toEqual(['pushed'])
    expect(seen).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
    expect(engine.getJob(a)!.state).toBe('completed')
    expect(Number(b.id)).toBe(Number(a) + 1)
    await engine.close()
  })

  it('is logged like add(): pushed jobs are in the log after a restart (sync mode)', async () => {
    const dir = tempDir()
    const engine = await Engine.open({ dir, durability: 'sync', logger: recordingLogger(), snapshotEvery: false })
    const q = engine.queue('q')
    const ids = [q.push('a'), q.push('b', { priority: 5 }), q.push('c', { delay: 60_000 })]
    await engine.close()
    const again = await Engine.open({ dir, durability: 'sync', logger: recordingLogger() })
    expect(again.queue('q').stats().counts).toMatchObject({ waiting: 2, delayed: 1 })
    expect(ids.map((id) => again.getJob(id)!.data)).toEqual(['a', 'b', 'c'])
    await again.close()
  })

  it('refuses, writing nothing: a unique key, bad data, a full queue', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q', { maxPending: 2 })
    expect(() => q.push('x', { key: 'k' } as never)).toThrow(TypeError)
    expect(() => q.push({ f: () => 1 })).toThrow(JobDataError)
    q.push(1)
    q.push(2)
    expect(() => q.push(3)).toThrow(QueueFullError)
    expect(q.stats().totals.added).toBe(0) // nothing applied yet: the two pushes are still in flight
    await engine.queue('other').add('barrier') // same pipeline, later in the log: applied after both pushes
    expect(q.stats().totals.added).toBe(2)
    await engine.close()
  })

  it('refuses while its pipeline is still opening, and works once it is open', async () => {
    const engine = await Engine.open({ dir: tempDir(), durability: 'os', logger: recordingLogger() })
    const q = engine.pipeline('late').queue('q') // opens in the background
    expect(() => q.push('early')).toThrow(expect.objectContaining({ code: 'PIPELINE_OPENING' }))
    await engine.ready('late')
    const id = q.push('on time')
    await q.add('after') // adds are applied in log order: once this one is, the push before it is too
    expect(engine.getJob(id)?.data).toBe('on time')
    await engine.close()
  })

  it('a failed write is reported by the engine error event, and the job does not exist', async () => {
    const fs = new FaultyFs(nodeFs)
    const engine = await Engine.open({ dir: tempDir(), durability: 'sync', logger: recordingLogger(), wal: { fs }, snapshotEvery: false })
    const q = engine.queue('q')
    await q.add('ok')
    const failed = nextEvent<[Error]>((n, f) => engine.on(n, f), 'error')
    fs.inject({ op: 'fsync', nth: 1, code: 'EIO', persistent: true })
    const id = q.push('lost')
    const [err] = await failed
    expect(err.message).toMatch(/EIO/)
    expect(engine.getJob(id)).toBeUndefined()
    expect(() => q.push('after')).toThrow()
    await engine.close().catch(() => {})
  })
})
