import { afterEach, describe, expect, it, vi } from 'vitest'
import { JobDeadError, type JobRef } from '@wq/engine'
import { backoffDelay } from '../src/runtime/backoff.js'
import { deferred, memoryEngine, nextEvent, recordingLogger } from './helpers.js'

const fakeTime = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
afterEach(() => { vi.useRealTimers() })

describe('backoff policies', () => {
  const err = new Error('x')
  it('fixed', () => {
    expect([1, 2, 3].map((a) => backoffDelay({ type: 'fixed', delay: 500 }, a, err))).toEqual([500, 500, 500])
  })
  it('exponential, capped by maxDelay', () => {
    const b = { type: 'exponential' as const, delay: 100, maxDelay: 1_000 }
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(b, a, err))).toEqual([100, 200, 400, 800, 1_000])
  })
  it('exponential with jitter stays within [d*(1-jitter), d]', () => {
    const b = { type: 'exponential' as const, delay: 1_000, jitter: 0.5 }
    expect(backoffDelay(b, 3, err, () => 0)).toBe(4_000)
    expect(backoffDelay(b, 3, err, () => 1)).toBe(2_000)
    expect(backoffDelay(b, 3, err, () => 0.5)).toBe(3_000)
  })
  it('a function gets the attempt and the error', () => {
    expect(backoffDelay((attempt, e) => attempt * 10 + e.message.length, 3, err)).toBe(31)
  })
})

describe('retries', () => {
  it('retries after the backoff delay, emits retrying, and counts attempts', async () => {
    fakeTime()
    const engine = await memoryEngine()
    const q = engine.queue('q', { attempts: 3, backoff: { type: 'fixed', delay: 1_000 } })
    const attempts: number[] = []
    const retrying: string[] = []
    engine.on('retrying', (_job, e) => retrying.push(e.message))
    q.process(async (job) => {
      attempts.push(job.attempt)
      if (job.attempt < 3) throw new Error(`fail ${job.attempt}`)
      return 'done'
    })
    const job = await q.add(1)
    await vi.advanceTimersByTimeAsync(10)
    expect(attempts).toEqual([1])
    expect(job.state).toBe('delayed')
    await vi.advanceTimersByTimeAsync(1_000)
    expect(attempts).toEqual([1, 2])
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await job.finished()).toBe('done')
    expect(retrying).toEqual(['fail 1', 'fail 2'])
    const info = job.info()!
    expect(info.attempts).toBe(3)
    expect(info.errors.map((e) => e.message)).toEqual(['fail 1', 'fail 2'])
    expect(info.errors[0].stack).toMatch(/fail 1/)
    expect(q.stats().totals).toMatchObject({ added: 1, completed: 1, failed: 2, retried: 2, dead: 0 })
    await engine.close()
  })

  it('a per-job attempts/backoff override wins over the queue', async () => {
    fakeTime()
    const engine = await memoryEngine()
    const q = engine.queue('q', { attempts: 10, backoff: { type: 'fixed', delay: 60_000 } })
    q.process(async () => { throw new Error('no') })
    const job = await q.add(1, { attempts: 2, backoff: { type: 'fixed', delay: 100 } })
    const dead = job.finished().catch((e) => e)
    await vi.advanceTimersByTimeAsync(150)
    expect(await dead).toBeInstanceOf(JobDeadError)
    expect(job.info()!.attempts).toBe(2)
    await engine.close()
  })

  it('a function backoff at queue level is used', async () => {
    fakeTime()
    const engine = await memoryEngine()
    const seen: number[] = []
    const q = engine.queue('q', { attempts: 3, backoff: (attempt) => { seen.push(attempt); return 50 } })
    q.process(async (job) => { if (job.attempt < 3) throw new Error('x') })
    const job = await q.add(1)
    await vi.advanceTimersByTimeAsync(200)
    await job.finished()
    expect(seen).toEqual([1, 2])
    await engine.close()
  })
})

describe('dead jobs', () => {
  it('a job out of attempts is dead: event, warn log with the last error, finished() rejects', async () => {
    const logger = recordingLogger()
    const engine = await memoryEngine({ logger })
    const q = engine.queue('q', { attempts: 2 })
    q.process(async (job) => { throw new Error(`broken ${job.attempt}`) })
    const dead = nextEvent<[JobRef, unknown]>(engine.on.bind(engine), 'dead')
    const job = await q.add(1)
    await expect(job.finished()).rejects.toThrow(/broken 2/)
    const [ref, err] = await dead
    expect(ref.id).toBe(job.id)
    expect((err as Error).message).toBe('broken 2')
    const warn = logger.lines.find((l) => l.level === 'warn' && /dead/.test(l.msg ?? ''))!
    expect(JSON.stringify(warn.obj)).toMatch(/broken 2/)
    expect(job.state).toBe('dead')
    await engine.close()
  })

  it('stay until a person acts: retry() gives fresh attempts, remove() deletes', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q', { attempts: 1 })
    let fail = true
    q.process(async () => { if (fail) throw new Error('down') })
    const a = await q.add('a')
    const b = await q.add('b')
    await expect(a.finished()).rejects.toThrow()
    await expect(b.finished()).rejects.toThrow()
    expect(q.jobs({ state: 'dead' }).map((j) => j.id)).toEqual([a.id, b.id])
    fail = false
    await a.retry()
    expect(await a.finished()).toBeUndefined()
    expect(a.info()!.attempts).toBe(1)
    await b.remove()
    expect(engine.getJob(b.id)).toBeUndefined()
    expect(q.stats().counts.dead).toBe(0)
    await engine.close()
  })

  it('retryDead() and removeDead() act on all dead jobs of a queue', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q', { attempts: 1 })
    let fail = true
    const stop = q.process(async () => { if (fail) throw new Error('down') })
    const jobs = await Promise.all([1, 2, 3].map((i) => q.add(i)))
    await Promise.all(jobs.map((j) => j.finished().catch(() => {})))
    expect(q.stats().counts.dead).toBe(3)
    fail = false
    expect(await q.retryDead()).toBe(3)
    await Promise.all(jobs.map((j) => j.finished()))
    expect(q.stats().counts).toMatchObject({ dead: 0, completed: 3 })
    stop()
    fail = true
    q.process(async () => { throw new Error('again') })
    const more = await Promise.all([4, 5].map((i) => q.add(i)))
    await Promise.all(more.map((j) => j.finished().catch(() => {})))
    expect(await q.removeDead()).toBe(2)
    expect(q.stats().counts.dead).toBe(0)
    expect(more.map((j) => engine.getJob(j.id))).toEqual([undefined, undefined])
    await engine.close()
  })
})

describe('deferred sanity', () => {
  it('a synchronous throw in a handler counts as a failure', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q', { attempts: 1 })
    q.process(() => { throw new Error('sync') })
    const job = await q.add(1)
    await expect(job.finished()).rejects.toThrow(/sync/)
    const d = deferred()
    d.resolve()
    await engine.close()
  })
})
