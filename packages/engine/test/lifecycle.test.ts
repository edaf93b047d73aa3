import { afterEach, describe, expect, it, vi } from 'vitest'
import { Engine, EngineClosedError, QueueFullError } from '@wq/engine'
import { EV_COMPLETE_NEXT } from '../src/codec/event-types.js'
import { MemoryLog } from '../src/log/memory-log.js'
import { cleanupDirs, crash, deferred, memoryEngine, nextEvent, recordingLogger, tempDir } from './helpers.js'

afterEach(() => { vi.useRealTimers(); cleanupDirs() })

function logOf(engine: Engine): MemoryLog {
  return (engine as any).handles.get('default').pipeline.log
}

describe('completed jobs', () => {
  it('leave the queue at once; keepCompleted bounds the record kept for lookup', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q', { keepCompleted: 2 })
    q.process(async (job) => job.data)
    const jobs = []
    for (let i = 0; i < 4; i++) { const j = await q.add(i); await j.finished(); jobs.push(j) }
    expect(q.stats().counts).toMatchObject({ waiting: 0, active: 0, completed: 2 })
    expect(engine.getJob(jobs[0].id)).toBeUndefined()
    expect(engine.getJob(jobs[1].id)).toBeUndefined()
    expect(engine.getJob(jobs[3].id)!.info()!.result).toBe(3)
    expect(q.stats().totals.completed).toBe(4)
    await engine.close()
  })

  it('keepCompleted by age drops older completions', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const engine = await memoryEngine()
    const q = engine.queue('q', { keepCompleted: { age: 1_000 } })
    q.process(async () => 'ok')
    const old = await q.add(1)
    await old.finished()
    vi.setSystemTime(Date.now() + 5_000)
    const fresh = await q.add(2)
    await fresh.finished()
    expect(engine.getJob(old.id)).toBeUndefined()
    expect(engine.getJob(fresh.id)!.state).toBe('completed')
    await engine.close()
  })
})

describe('moving between queues', () => {
  it('a handler returning { next } completes and enqueues the next stage in ONE log record', async () => {
    const e2 = await memoryEngine()
    const log = logOf(e2)
    ;(log as any).keep = true // record what is logged from here on
    const resize = e2.queue('resize')
    const upload = e2.queue('upload')
    resize.process(async (job) => ({ next: { queue: 'upload', data: { file: job.data.file, w: 100 } }, result: 'resized' }))
    const uploaded = deferred<unknown>()
    upload.process(async (job) => uploaded.resolve(job.data))
    const job = await resize.add({ file: 'a.png' })
    expect(await job.finished()).toBe('resized')
    expect(await uploaded.promise).toEqual({ file: 'a.png', w: 100 })
    const moves = log.records.filter((r) => r.type === EV_COMPLETE_NEXT)
    expect(moves.length).toBe(1)
    await e2.close()
  })

  it('job.moveTo(queue) moves a waiting or dead job, keeping its id', async () => {
    const engine = await memoryEngine()
    const a = engine.queue('a', { attempts: 1 })
    const job = await a.add({ x: 1 })
    await job.moveTo('b')
    expect(job.info()!.queue).toBe('b')
    expect(a.stats().counts.waiting).toBe(0)
    expect(engine.queue('b').stats().counts.waiting).toBe(1)
    const got = deferred<unknown>()
    engine.queue('b').process(async (j) => got.resolve(j.data))
    expect(await got.promise).toEqual({ x: 1 })
    await engine.close()
  })
})

describe('lookup', () => {
  it('getJob gives state, attempts, errors, timestamps, tags and a history', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q', { attempts: 2 })
    q.process(async (job) => { if (job.attempt === 1) throw new Error('first try') ; return 'ok' })
    const job = await q.add({ a: 1 }, { tags: ['t1', 't2'], priority: 3 })
    await job.finished()
    const info = engine.getJob(job.id)!.info()!
    expect(info).toMatchObject({ id: job.id, queue: 'q', state: 'completed', data: { a: 1 }, result: 'ok', priority: 3, tags: ['t1', 't2'], attempts: 2, maxAttempts: 2 })
    expect(info.errors.map((e) => e.message)).toEqual(['first try'])
    expect(info.createdAt).toBeInstanceOf(Date)
    expect(info.startedAt).toBeInstanceOf(Date)
    expect(info.finishedAt).toBeInstanceOf(Date)
    expect(info.history.map((h) => h.state)).toEqual(['added', 'waiting', 'completed'])
    expect(info.history[1].note).toBe('first try')
    await engine.close()
  })

  it('queue.jobs pages by state and tag; jobsByTag finds tracked jobs', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q')
    const ids: string[] = []
    for (let i = 0; i < 7; i++) ids.push((await q.add(i, { tags: i % 2 === 0 ? ['even'] : ['odd'] })).id)
    await q.add('later', { delay: 60_000 })
    const page1 = q.jobs({ state: 'waiting', limit: 3 })
    const page2 = q.jobs({ state: 'waiting', limit: 3, after: page1[2].id })
    const page3 = q.jobs({ state: 'waiting', limit: 3, after: page2[2].id })
    expect([...page1, ...page2, ...page3].map((j) => j.id)).toEqual(ids)
    expect(q.jobs({ state: 'delayed' }).length).toBe(1)
    expect(q.jobs({ tag: 'even' }).map((j) => j.data)).toEqual([0, 2, 4, 6])
    expect(engine.jobsByTag('odd').map((j) => j.data)).toEqual([1, 3, 5])
    await engine.close()
  })
})

describe('pause and resume', () => {
  it('a paused queue hands out nothing; the pause survives a restart', async () => {
    const dir = tempDir()
    const e1 = await Engine.open({ dir, logger: recordingLogger() })
    const q = e1.queue('q')
    await q.pause()
    await q.add(1)
    const ran = deferred()
    q.process(async () => ran.resolve())
    await new Promise((r) => setTimeout(r, 20))
    expect(q.stats().counts.waiting).toBe(1)
    await e1.close()
    const e2 = await Engine.open({ dir, logger: recordingLogger() })
    const q2 = e2.queue('q')
    expect(q2.paused).toBe(true)
    q2.process(async () => ran.resolve())
    expect(q2.reserve()).toBeNull()
    await q2.resume()
    await ran.promise
    await e2.close()
  })
})

describe('back-pressure', () => {
  it('onFull reject throws QueueFullError at maxPending', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q', { maxPending: 2, onFull: 'reject' })
    await q.add(1)
    await q.add(2)
    await expect(q.add(3)).rejects.toBeInstanceOf(QueueFullError)
    await engine.close()
  })

  it('onFull wait makes add wait until a job leaves', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q', { maxPending: 2, onFull: 'wait' })
    await q.add(1)
    await q.add(2)
    let added = false
    const third = q.add(3).then((j) => { added = true; return j })
    await new Promise((r) => setImmediate(r))
    expect(added).toBe(false)
    const lease = q.reserve()!
    await third
    expect(added).toBe(true)
    await q.complete(lease)
    await engine.close()
  })

  it('a job moved out of a full queue, or a higher maxPending, lets a waiting add in', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q', { maxPending: 1, onFull: 'wait' })
    const first = await q.add(1)
    const second = q.add(2)
    await first.moveTo('elsewhere')
    expect((await second).data).toBe(2)
    const third = q.add(3)
    engine.queue('q', { maxPending: 2 })
    expect((await third).data).toBe(3)
    expect(q.stats().counts.waiting).toBe(2)
    await engine.close()
  })

  it('addBulk on a bounded queue refuses the whole bulk when an item has bad data, or (onFull reject) when it does not fit', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q', { maxPending: 2, onFull: 'reject' })
    await expect(q.addBulk([{ data: 1 }, { data: 2 }, { data: 3 }])).rejects.toBeInstanceOf(QueueFullError)
    await expect(q.addBulk([{ data: 1 }, { data: () => 2 }])).rejects.toThrow()
    expect(q.stats().totals.added).toBe(0)
    expect((await q.addBulk([{ data: 1 }, { data: 2 }])).length).toBe(2)
    await engine.close()
  })

  it('is unbounded by default', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q')
    await q.addBulk(Array.from({ length: 10_000 }, (_, i) => ({ data: i })))
    expect(q.stats().counts.waiting).toBe(10_000)
    await engine.close()
  })
})

describe('metrics and events', () => {
  it('stats() reports counts, totals, wait/run percentiles and throughput', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q')
    q.process(async () => { await new Promise((r) => setTimeout(r, 2)) }, { concurrency: 5 })
    await Promise.all((await q.addBulk(Array.from({ length: 20 }, (_, i) => ({ data: i })))).map((j) => j.finished()))
    const s = engine.stats().pipelines[0].queues.find((x) => x.name === 'q')!
    expect(s.totals).toMatchObject({ added: 20, completed: 20 })
    expect(s.counts.waiting).toBe(0)
    expect(s.runTime.count).toBe(20)
    expect(s.runTime.p50).toBeGreaterThanOrEqual(1)
    expect(s.waitTime.count).toBe(20)
    expect(s.throughput).toBeGreaterThan(0)
    await engine.close()
  })

  it('typed events: added, active, completed, drained (engine and queue level)', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q')
    const seen: string[] = []
    engine.on('added', () => seen.push('added'))
    engine.on('active', () => seen.push('active'))
    q.on('completed', (_job, result) => seen.push(`completed:${result}`))
    const drained = nextEvent(q.on.bind(q), 'drained')
    q.process(async () => 'r')
    await q.add(1)
    await drained
    expect(seen).toEqual(['added', 'active', 'completed:r'])
    await engine.close()
  })

  it('totals survive a restart', async () => {
    const dir = tempDir()
    const e1 = await Engine.open({ dir, logger: recordingLogger() })
    const q = e1.queue('q', { attempts: 1 })
    q.process(async (job) => { if (job.data === 'bad') throw new Error('x') })
    await (await q.add('ok')).finished()
    await (await q.add('bad')).finished().catch(() => {})
    await crash(e1)
    const e2 = await Engine.open({ dir, logger: recordingLogger() })
    expect(e2.queue('q').stats().totals).toEqual({ added: 2, completed: 1, failed: 1, retried: 0, dead: 1 })
    await e2.close()
  })
})

describe('finished() across a close', () => {
  it('rejects with EngineClosedError for jobs that did not finish, and still resolves for those that did', async () => {
    const engine = await memoryEngine({ closeTimeoutMs: 10 })
    const q = engine.queue('q')
    const done = await q.add('done')
    const stuck = await q.add('stuck')
    const started = deferred()
    q.process(async (job) => {
      if (job.data === 'done') return 'ok'
      started.resolve()
      return new Promise(() => {}) // runs past closeTimeoutMs: put back at close
    }, { concurrency: 1 })
    await done.finished()
    await started.promise
    const waiting = await q.add('waiting')
    const before = [stuck.finished(), waiting.finished()].map((p) => p.then(() => 'resolved', (e: unknown) => e))
    await engine.close()
    for (const outcome of await Promise.all(before)) expect(outcome).toBeInstanceOf(EngineClosedError)
    await expect(waiting.finished()).rejects.toBeInstanceOf(EngineClosedError)
    await expect(done.finished()).resolves.toBe('ok')
  })
})

describe('calls made after close()', () => {
  it('an add to a pipeline still opening when close() was called is refused, not logged', async () => {
    const dir = tempDir()
    const e1 = await Engine.open({ dir, logger: recordingLogger() })
    await e1.pipeline('b').queue('x').add('before')
    await e1.close()

    const e2 = await Engine.open({ dir, logger: recordingLogger() })
    const opening = e2.pipeline('late') // opens in the background
    const closing = e2.close()
    await expect(opening.queue('x').add('after close')).rejects.toBeInstanceOf(EngineClosedError)
    await closing
    const e3 = await Engine.open({ dir, logger: recordingLogger() })
    expect(e3.pipeline('late').queue('x').jobs({ limit: 10 })).toEqual([])
    await e3.close()
  })

  it('engine.queue(name, options) after close() throws EngineClosedError', async () => {
    const engine = await memoryEngine()
    engine.queue('q')
    await engine.close()
    expect(() => engine.queue('q', { concurrency: 2 })).toThrow(EngineClosedError)
  })

  it('engine.snapshot() and compact() after close() reject with EngineClosedError', async () => {
    const dir = tempDir()
    const engine = await Engine.open({ dir, logger: recordingLogger() })
    await engine.close()
    await expect(engine.snapshot()).rejects.toBeInstanceOf(EngineClosedError)
    await expect(engine.compact()).rejects.toBeInstanceOf(EngineClosedError)
  })
})

describe('numeric options', () => {
  it('NaN, negative or infinite times and limits are refused where they enter', async () => {
    const engine = await memoryEngine()
    expect(() => engine.queue('a', { leaseMs: NaN })).toThrow(TypeError)
    expect(() => engine.queue('b', { timeout: -1 })).toThrow(TypeError)
    expect(() => engine.queue('c', { concurrency: 0 })).toThrow(TypeError)
    expect(() => engine.queue('d', { maxPending: NaN })).toThrow(TypeError)
    expect(() => engine.queue('e').process(async () => {}, { leaseMs: Infinity })).toThrow(TypeError)
    await engine.queue('f').add(1)
    expect(() => engine.reserve('f', { leaseMs: NaN })).toThrow(TypeError)
    await engine.close()
  })

  it('extend(lease, NaN) is refused, and other leases still expire', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const engine = await memoryEngine()
    const q = engine.queue('q', { attempts: 5 })
    await q.add(1)
    await q.add(2)
    const a = engine.reserve('q', { leaseMs: 60_000 })!
    const b = engine.reserve('q', { leaseMs: 1_000 })!
    expect(() => engine.extend(a, NaN)).toThrow(TypeError)
    await vi.advanceTimersByTimeAsync(1_500)
    expect(engine.getJob(b.id)!.state).toBe('waiting')
    expect(engine.getJob(a.id)!.state).toBe('active')
    await engine.close()
  })
})
