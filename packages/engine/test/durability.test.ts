import { afterEach, describe, expect, it } from 'vitest'
import { Engine, type DurabilityMode } from '@wq/engine'
import { WalReader } from '@wq/wal'
import { MemoryFs } from '@wq/wal/testing'
import { join } from 'node:path'
import { cleanupDirs, crash, deferred, recordingLogger, tempDir } from './helpers.js'

afterEach(() => cleanupDirs())

const MODES: DurabilityMode[] = ['sync', 'sync-enqueue', 'interval', 'os', 'buffered', 'memory']

describe('durability modes', () => {
  for (const durability of MODES) {
    it(`${durability}: add + process end to end, totals kept across close/open`, async () => {
      const dir = durability === 'memory' ? undefined : tempDir()
      const engine = await Engine.open({ dir, durability, logger: recordingLogger(), wal: { intervalMs: 5, flushMs: 5 } })
      const q = engine.queue('q')
      let n = 0
      const all = deferred()
      q.process(async (job) => { if (++n === 300) all.resolve(); return job.data }, { concurrency: 20 })
      const jobs = await q.addBulk(Array.from({ length: 200 }, (_, i) => ({ data: i })))
      for (let i = 0; i < 100; i++) jobs.push(await q.add(200 + i))
      await all.promise
      expect(await jobs[299].finished()).toBe(299)
      await engine.close()
      if (dir === undefined) return
      const again = await Engine.open({ dir, durability, logger: recordingLogger() })
      expect(again.queue('q').stats().totals).toMatchObject({ added: 300, completed: 300 })
      await again.close()
    })
  }
})

describe('recovery', () => {
  it('waiting, delayed, running, dead and recurring jobs are where they belong after a crash', async () => {
    const dir = tempDir()
    const e1 = await Engine.open({ dir, logger: recordingLogger() })
    const q = e1.queue('q', { attempts: 2 })
    const d = e1.queue('d', { attempts: 1 })
    const last = e1.queue('last', { attempts: 1 })
    const waiting = await q.add('waiting')
    const delayed = await q.add('delayed', { delay: 3_600_000 })
    const running = await q.add('running', { priority: 100 })
    const runningLast = await last.add('running-last')
    await q.schedule('hourly', '0 * * * *', 'tick')
    d.process(async () => { throw new Error('bad') })
    const dead = await d.add('dead')
    await dead.finished().catch(() => {})
    const started = deferred()
    q.process(async () => { started.resolve(); await new Promise(() => {}) }, { concurrency: 1 })
    last.process(async () => new Promise(() => {}))
    await started.promise
    await new Promise((r) => setImmediate(r)) // the start records ride with the next flush
    await (e1 as any).handles.get('default').pipeline.committer.idle()
    await crash(e1)

    const e2 = await Engine.open({ dir, logger: recordingLogger() })
    expect(e2.recovery.get('default')!.workerLost).toBe(2)
    const info = (id: string) => e2.getJob(id)!.info()!
    expect(info(waiting.id).state).toBe('waiting')
    expect(info(delayed.id).state).toBe('delayed')
    expect(info(dead.id)).toMatchObject({ state: 'dead', attempts: 1 })
    expect(info(running.id)).toMatchObject({ state: 'waiting', attempts: 1 })
    expect(info(running.id).errors[0].message).toBe('worker lost')
    expect(info(runningLast.id)).toMatchObject({ state: 'dead', attempts: 1 })
    expect(e2.queue('q').schedules().map((s) => s.name)).toEqual(['hourly'])
    expect(e2.queue('q').stats().totals).toMatchObject({ added: 3, failed: 1, retried: 1 })
    expect(e2.queue('d').stats().totals).toMatchObject({ added: 1, failed: 1, dead: 1 })
    await e2.close()
  })

  it('a job that kills the process on every attempt still runs out of attempts', async () => {
    const dir = tempDir()
    const e0 = await Engine.open({ dir, logger: recordingLogger() })
    const job = await e0.queue('q', { attempts: 3 }).add('poison')
    await crash(e0)
    for (let i = 0; i < 3; i++) {
      const e = await Engine.open({ dir, logger: recordingLogger() })
      const started = deferred()
      e.queue('q').process(async () => { started.resolve(); await new Promise(() => {}) })
      await started.promise
      await new Promise((r) => setImmediate(r))
      await (e as any).handles.get('default').pipeline.committer.idle()
      await crash(e)
    }
    const last = await Engine.open({ dir, logger: recordingLogger() })
    expect(last.getJob(job.id)!.info()).toMatchObject({ state: 'dead', attempts: 3 })
    await last.close()
  })

  it('a second engine on the same directory gets the WAL lock error', async () => {
    const dir = tempDir()
    const e1 = await Engine.open({ dir, logger: recordingLogger() })
    await expect(Engine.open({ dir, logger: recordingLogger() })).rejects.toMatchObject({ code: 'WAL_LOCKED' })
    await e1.close()
    const e2 = await Engine.open({ dir, logger: recordingLogger() })
    await e2.close()
  })

  it('pipelines are independent WAL directories and all reopen', async () => {
    const dir = tempDir()
    const e1 = await Engine.open({ dir, logger: recordingLogger() })
    const a = await e1.queue('q').add('default')
    const b = await e1.pipeline('billing').queue('invoices').add('billing')
    expect(b.id).toMatch(/^billing:/)
    await e1.close()
    const e2 = await Engine.open({ dir, logger: recordingLogger() })
    expect(e2.pipelines().sort()).toEqual(['billing', 'default'])
    expect(e2.getJob(a.id)!.data).toBe('default')
    expect(e2.getJob(b.id)!.data).toBe('billing')
    await e2.close()
  })

  it('open finds the pipelines on the fs it was given (wal.fs), not only on the disk, and skips directories that hold no log', async () => {
    const fs = new MemoryFs()
    const open = () => Engine.open({ dir: '/data', logger: recordingLogger(), snapshotEvery: false, wal: { fs } })
    const e1 = await open()
    const b = await e1.pipeline('billing').queue('invoices').add('billing')
    await e1.close()
    await fs.mkdir('/data/not-a-log')
    const e2 = await open()
    expect(e2.pipelines().sort()).toEqual(['billing', 'default'])
    expect(e2.recovery.get('billing')).toMatchObject({ cleanStop: true })
    expect(e2.getJob(b.id)!.data).toBe('billing')
    await e2.close()
    expect(await fs.readdir('/data/not-a-log')).toEqual([])
  })
})

describe('snapshots and compaction', () => {
  it('snapshots every N events, on close and on demand; compaction drops covered segments; restart = same state', async () => {
    const dir = tempDir()
    const e1 = await Engine.open({ dir, logger: recordingLogger(), snapshotEvery: { events: 500 }, compactAfterSnapshot: false, wal: { segmentBytes: 16 * 1024 } })
    const q = e1.queue('q', { attempts: 2 })
    q.process(async (job) => { if (job.data % 3 === 0) throw new Error('x') }, { concurrency: 4 })
    const jobs = await q.addBulk(Array.from({ length: 600 }, (_, i) => ({ data: i, options: { tags: [`t${i % 5}`] } })))
    await Promise.all(jobs.map((j) => j.finished().catch(() => {})))
    for (let i = 0; i < 300; i++) await e1.queue('idle').add(i, { priority: i % 7 })
    const reader = await WalReader.open(join(dir, 'default'))
    expect((await reader.snapshots()).length).toBeGreaterThan(0)
    const onDemand = await e1.snapshot()
    expect(onDemand.default).toBeGreaterThan(0)
    const segmentsBefore = (await WalReader.open(join(dir, 'default'))).segments().length
    const compacted = await e1.compact()
    expect(compacted.default.removedSegments.length).toBeGreaterThan(0)
    expect((await WalReader.open(join(dir, 'default'))).segments().length).toBeLessThan(segmentsBefore)
    // More events after the snapshot: the restart loads the snapshot and replays the tail.
    for (let i = 0; i < 10; i++) await e1.queue('idle').add(`tail${i}`)
    const before = JSON.stringify([e1.queue('q').jobs({ limit: 10_000 }), e1.queue('idle').jobs({ limit: 10_000 }), e1.stats().pipelines[0].queues.map((s) => [s.counts, s.totals])])
    await crash(e1)
    const e2 = await Engine.open({ dir, logger: recordingLogger() })
    expect(e2.recovery.get('default')!.snapshotLsn).toBe(onDemand.default)
    expect(e2.recovery.get('default')!.replayed).toBeGreaterThan(0)
    const after = JSON.stringify([e2.queue('q').jobs({ limit: 10_000 }), e2.queue('idle').jobs({ limit: 10_000 }), e2.stats().pipelines[0].queues.map((s) => [s.counts, s.totals])])
    expect(after).toBe(before)
    await e2.close()
    const snaps = await (await WalReader.open(join(dir, 'default'))).snapshots()
    expect(snaps.at(-1)!.lsn).toBeGreaterThan(onDemand.default) // close took one
  })

  it('close waits for handlers, then aborts them after the timeout and puts their jobs back', async () => {
    const dir = tempDir()
    const e1 = await Engine.open({ dir, logger: recordingLogger(), closeTimeoutMs: 50 })
    const q = e1.queue('q')
    const quick = deferred()
    const aborted = deferred()
    const bothStarted = deferred()
    let started = 0
    q.process(async (job, { signal }) => {
      if (++started === 2) bothStarted.resolve()
      if (job.data === 'quick') { await new Promise((r) => setTimeout(r, 10)); quick.resolve(); return }
      signal.addEventListener('abort', () => aborted.resolve())
      await new Promise(() => {}) // ignores the signal
    }, { concurrency: 2 })
    const stuck = await q.add('stuck')
    const fast = await q.add('quick')
    await bothStarted.promise
    await e1.close()
    await quick.promise
    await aborted.promise
    const e2 = await Engine.open({ dir, logger: recordingLogger() })
    expect(e2.getJob(fast.id)!.state).toBe('completed')
    expect(e2.getJob(stuck.id)!.info()).toMatchObject({ state: 'waiting', attempts: 0 })
    await e2.close()
  })
})

describe('a log without the records a state needs', () => {
  it('refuses to open with a clear error instead of folding a partial history', async () => {
    const dir = tempDir()
    const e1 = await Engine.open({ dir, logger: recordingLogger(), wal: { segmentBytes: 4096 } })
    for (let i = 0; i < 200; i++) await e1.queue('q').add(i)
    await e1.close() // snapshot + compaction: the first segments are gone
    const { readdirSync, unlinkSync } = await import('node:fs')
    for (const f of readdirSync(join(dir, 'default'))) if (f.startsWith('snapshot-')) unlinkSync(join(dir, 'default', f))
    await expect(Engine.open({ dir, logger: recordingLogger() })).rejects.toThrow(/compacted away without their snapshot/)
  })
})
