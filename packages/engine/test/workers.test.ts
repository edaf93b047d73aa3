import { afterEach, describe, expect, it, vi } from 'vitest'
import { JobTimeoutError, LeaseError, type JobRef } from '@wq/engine'
import { concurrencyProbe, deferred, memoryEngine, nextEvent } from './helpers.js'

const fakeTime = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
afterEach(() => { vi.useRealTimers() })

describe('handlers', () => {
  it('get the job data, attempt number and a context; the result is what finished() resolves with', async () => {
    const engine = await memoryEngine()
    const q = engine.queue<{ n: number }>('q')
    q.process(async (job, ctx) => {
      expect(job.attempt).toBe(1)
      expect(ctx.signal).toBeInstanceOf(AbortSignal)
      expect(typeof ctx.heartbeat).toBe('function')
      return job.data.n * 2
    })
    const job = await q.add({ n: 21 })
    expect(await job.finished()).toBe(42)
    await engine.close()
  })

  it('concurrency bounds the running handlers', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q', { concurrency: 3 })
    const probe = concurrencyProbe(20)
    q.process(probe.handler)
    for (let i = 0; i < 20; i++) await q.add(i)
    await probe.finished
    expect(probe.max()).toBe(3)
    await engine.close()
  })

  it('progress(value) is stored, visible in lookups and emitted', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q')
    const release = deferred()
    const progressed = nextEvent<[JobRef, unknown]>(engine.on.bind(engine), 'progress')
    q.process(async (_job, { progress }) => { progress({ pct: 50 }); await release.promise })
    const job = await q.add(1)
    const [ref, value] = await progressed
    expect(ref.id).toBe(job.id)
    expect(value).toEqual({ pct: 50 })
    expect(job.info()!.progress).toEqual({ pct: 50 })
    release.resolve()
    await job.finished()
    await engine.close()
  })

  it('timeout fires the signal and fails the attempt', async () => {
    fakeTime()
    const engine = await memoryEngine()
    const q = engine.queue('q', { attempts: 1, timeout: 1_000 })
    const aborted = deferred<unknown>()
    q.process((_job, { signal }) => new Promise((_, reject) => {
      signal.addEventListener('abort', () => { aborted.resolve(signal.reason); reject(signal.reason) })
    }))
    const job = await q.add(1)
    const dead = job.finished().catch((e) => e)
    await vi.advanceTimersByTimeAsync(1_001)
    expect(await aborted.promise).toBeInstanceOf(JobTimeoutError)
    expect(((await dead) as Error).message).toMatch(/timed out/)
    expect(job.info()!.errors[0].message).toMatch(/timed out after 1000 ms/)
    await engine.close()
  })
})

describe('lease protocol', () => {
  it('reserve / complete', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q')
    expect(q.reserve()).toBeNull()
    const job = await q.add({ a: 1 })
    const lease = q.reserve({ leaseMs: 5_000 })!
    expect(lease.id).toBe(job.id)
    expect(lease.data).toEqual({ a: 1 })
    expect(engine.getJob(job.id)!.state).toBe('active')
    expect(q.reserve()).toBeNull()
    await q.complete(lease, 'ok')
    expect(engine.getJob(job.id)!.state).toBe('completed')
    expect(await job.finished()).toBe('ok')
    expect(() => q.extend(lease)).toThrow(LeaseError)
    await engine.close()
  })

  it('reserve / fail retries with the attempt counted; tokens work as leases', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q', { attempts: 2 })
    const job = await q.add(1)
    const lease = q.reserve()!
    await q.fail(lease.token, new Error('boom'))
    expect(job.info()!.attempts).toBe(1)
    expect(job.state).toBe('waiting')
    await expect(q.complete(lease.token)).rejects.toThrow(LeaseError)
    const again = q.reserve()!
    expect(again.attempt).toBe(2)
    await q.fail(again, 'boom again')
    expect(job.state).toBe('dead')
    await engine.close()
  })

  it('an expired lease puts the job back with the attempt counted; extend keeps it', async () => {
    fakeTime()
    const engine = await memoryEngine()
    const q = engine.queue('q', { attempts: 3 })
    const job = await q.add(1)
    const lease = q.reserve({ leaseMs: 1_000 })!
    await vi.advanceTimersByTimeAsync(800)
    q.extend(lease)
    await vi.advanceTimersByTimeAsync(800)
    expect(job.state).toBe('active')
    await vi.advanceTimersByTimeAsync(300)
    expect(job.state).toBe('waiting')
    expect(job.info()!.attempts).toBe(1)
    expect(job.info()!.errors[0].message).toMatch(/lease expired/)
    await expect(q.complete(lease)).rejects.toThrow(LeaseError)
    await engine.close()
  })

  it('the engine-level lease API routes by pipeline', async () => {
    const engine = await memoryEngine()
    await engine.ready('billing')
    const job = await engine.pipeline('billing').queue('invoices').add({ n: 1 })
    expect(engine.reserve('invoices')).toBeNull()
    const lease = engine.reserve('billing/invoices', { leaseMs: 1_000 })!
    expect(lease.id).toBe(job.id)
    engine.extend(lease)
    await engine.complete(lease.token, 'paid')
    expect(await job.finished()).toBe('paid')
    await expect(engine.fail(lease, 'late')).rejects.toThrow(LeaseError)
    await engine.close()
  })

  it('in-process handlers with leaseMs keep their lease with heartbeat()', async () => {
    fakeTime()
    const engine = await memoryEngine()
    const q = engine.queue('q', { leaseMs: 1_000 })
    const release = deferred()
    q.process(async (_job, { heartbeat }) => {
      for (let i = 0; i < 5; i++) { await new Promise((r) => setTimeout(r, 500)); heartbeat() }
      await release.promise
    })
    const job = await q.add(1)
    await vi.advanceTimersByTimeAsync(2_600)
    expect(job.state).toBe('active')
    release.resolve()
    await job.finished()
    await engine.close()
  })

  it('heartbeat() returns whether the lease is still held, and does not throw once close() took the job back', async () => {
    const engine = await memoryEngine({ closeTimeoutMs: 10 })
    const q = engine.queue('q', { leaseMs: 60_000 })
    const started = deferred<() => boolean>()
    const release = deferred()
    q.process(async (_job, { heartbeat }) => {
      started.resolve(heartbeat)
      await release.promise
    })
    await q.add(1)
    const heartbeat = await started.promise
    expect(heartbeat()).toBe(true)
    await engine.close() // times out and puts the job back: the lease is gone
    expect(heartbeat()).toBe(false)
    release.resolve()
  })

  it('heartbeat() returns false once the lease has expired', async () => {
    fakeTime()
    const engine = await memoryEngine()
    const q = engine.queue('q', { leaseMs: 1_000, attempts: 1 })
    const started = deferred<() => boolean>()
    q.process((_job, { heartbeat, signal }) => {
      started.resolve(heartbeat)
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
    })
    const job = await q.add(1)
    const heartbeat = await started.promise
    await vi.advanceTimersByTimeAsync(1_100)
    await expect(job.finished()).rejects.toThrow()
    expect(heartbeat()).toBe(false)
    await engine.close()
  })
})
