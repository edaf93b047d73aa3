import { describe, expect, it } from 'vitest'
import { concurrencyProbe, deferred, memoryEngine } from './helpers.js'

describe('ordering', () => {
  it('runs higher priority first and FIFO among equals', async () => {
    const engine = await memoryEngine()
    const q = engine.queue<string>('q')
    await q.add('low-1', { priority: 0 })
    await q.add('high-1', { priority: 10 })
    await q.add('low-2', { priority: 0 })
    await q.add('mid', { priority: 5 })
    await q.add('high-2', { priority: 10 })
    const order: string[] = []
    const all = deferred()
    q.process(async (job) => { order.push(job.data); if (order.length === 5) all.resolve() }, { concurrency: 1 })
    await all.promise
    expect(order).toEqual(['high-1', 'high-2', 'mid', 'low-1', 'low-2'])
    await engine.close()
  })
})

describe('groups', () => {
  it('serves groups round-robin and runs a group in order, one at a time by default', async () => {
    const engine = await memoryEngine()
    const q = engine.queue<string>('q')
    for (const g of ['a', 'b', 'c']) for (let i = 1; i <= 3; i++) await q.add(`${g}${i}`, { group: g })
    const order: string[] = []
    const running = new Map<string, number>()
    let maxPerGroup = 0
    const all = deferred()
    q.process(async (job) => {
      const g = job.group!
      running.set(g, (running.get(g) ?? 0) + 1)
      maxPerGroup = Math.max(maxPerGroup, running.get(g)!)
      order.push(job.data)
      await new Promise((r) => setImmediate(r))
      running.set(g, running.get(g)! - 1)
      if (order.length === 9) all.resolve()
    }, { concurrency: 10 })
    await all.promise
    expect(maxPerGroup).toBe(1)
    for (const g of ['a', 'b', 'c']) expect(order.filter((x) => x[0] === g)).toEqual([`${g}1`, `${g}2`, `${g}3`])
    // Fairness: the first three runs are one from each group.
    expect(new Set(order.slice(0, 3).map((x) => x[0]))).toEqual(new Set(['a', 'b', 'c']))
    await engine.close()
  })

  it('groupConcurrency bounds running jobs per group', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q', { groupConcurrency: 2 })
    for (let i = 0; i < 6; i++) await q.add(i, { group: 'g' })
    const probe = concurrencyProbe(6)
    q.process(probe.handler, { concurrency: 10 })
    await probe.finished
    expect(probe.max()).toBe(2)
    await engine.close()
  })

  it('a fast group is not starved by a long one', async () => {
    const engine = await memoryEngine()
    const q = engine.queue<string>('q')
    for (let i = 0; i < 50; i++) await q.add(`big${i}`, { group: 'big' })
    await q.add('small', { group: 'small' })
    const order: string[] = []
    const small = deferred()
    q.process(async (job) => { order.push(job.data); if (job.data === 'small') small.resolve() }, { concurrency: 1 })
    await small.promise
    expect(order.indexOf('small')).toBeLessThanOrEqual(1)
    await engine.close()
  })
})

describe('unique keys', () => {
  it('onDuplicate keep returns the existing job without changing it', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q')
    const a = await q.add({ v: 1 }, { key: 'k' })
    const b = await q.add({ v: 2 }, { key: 'k' })
    expect(b.id).toBe(a.id)
    expect(engine.getJob(a.id)!.data).toEqual({ v: 1 })
    expect(q.stats().counts.waiting).toBe(1)
    await engine.close()
  })

  it('onDuplicate replace replaces the data of the waiting job', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q')
    const a = await q.add({ v: 1 }, { key: 'k', delay: 60_000 })
    const b = await q.add({ v: 2 }, { key: 'k', onDuplicate: 'replace' })
    expect(b.id).toBe(a.id)
    expect(engine.getJob(a.id)!.data).toEqual({ v: 2 })
    expect(engine.getJob(a.id)!.state).toBe('delayed')
    await engine.close()
  })

  it('a duplicate of an add still in flight resolves with the same job, after it', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q')
    const [a, b] = await Promise.all([q.add(1, { key: 'k' }), q.add(2, { key: 'k' })])
    expect(a.id).toBe(b.id)
    expect(q.stats().totals.added).toBe(1)
    await engine.close()
  })

  it('once the keyed job has started, the key is free again', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('q')
    const started = deferred()
    const release = deferred()
    q.process(async () => { started.resolve(); await release.promise }, { concurrency: 1 })
    const a = await q.add(1, { key: 'k' })
    await started.promise
    const b = await q.add(2, { key: 'k' })
    expect(b.id).not.toBe(a.id)
    release.resolve()
    await engine.close()
  })
})

describe('serial queues', () => {
  it('a failing job is retried in place and blocks the queue until it succeeds', async () => {
    const engine = await memoryEngine()
    const q = engine.queue<string>('q', { serial: true, attempts: 10 })
    await q.add('first')
    await q.add('second')
    const order: string[] = []
    let failures = 0
    const all = deferred()
    q.process(async (job) => {
      order.push(job.data)
      if (job.data === 'first' && failures < 3) { failures++; throw new Error('not yet') }
      if (order.length === 5) all.resolve()
    }, { concurrency: 5 })
    await all.promise
    expect(order).toEqual(['first', 'first', 'first', 'first', 'second'])
    await engine.close()
  })

  it('a dead serial job keeps blocking until a person retries or removes it', async () => {
    const engine = await memoryEngine()
    const q = engine.queue<string>('q', { serial: true, attempts: 1 })
    const first = await q.add('first')
    await q.add('second')
    const seen: string[] = []
    const dead = deferred()
    const second = deferred()
    engine.on('dead', () => dead.resolve())
    q.process(async (job) => {
      seen.push(job.data)
      if (job.data === 'first') throw new Error('broken')
      second.resolve()
    })
    await dead.promise
    await new Promise((r) => setImmediate(r))
    expect(seen).toEqual(['first'])
    expect(q.stats().counts.waiting).toBe(1)
    await engine.getJob(first.id)!.remove()
    await second.promise
    expect(seen).toEqual(['first', 'second'])
    await engine.close()
  })

  it('blocks per group in a grouped serial queue', async () => {
    const engine = await memoryEngine()
    const q = engine.queue<string>('q', { serial: true, attempts: 5 })
    await q.add('a1', { group: 'a' })
    await q.add('a2', { group: 'a' })
    await q.add('b1', { group: 'b' })
    const order: string[] = []
    let failed = false
    const all = deferred()
    q.process(async (job) => {
      order.push(job.data)
      if (job.data === 'a1' && !failed) { failed = true; throw new Error('once') }
      if (order.length === 4) all.resolve()
    }, { concurrency: 5 })
    await all.promise
    expect(order.indexOf('a2')).toBeGreaterThan(order.lastIndexOf('a1'))
    expect(order).toContain('b1')
    await engine.close()
  })
})
