import { describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { MemoryLog } from '../src/log/memory-log.js'
import { loadState } from '../src/runtime/open-pipeline.js'
import { encodeSnapshot } from '../src/snapshot/write.js'
import { decodeSnapshot } from '../src/snapshot/read.js'
import { listJobs } from '../src/state/listing.js'
import type { PipelineState } from '../src/state/pipeline-state.js'
import { deferred, recordingLogger } from './helpers.js'

function summary(s: PipelineState): string {
  const queues = [...s.queues.values()].map((q) => ({ name: q.name, paused: q.paused, counts: q.counts, totals: q.totals, keys: [...q.keys.keys()].sort() }))
  queues.sort((a, b) => (a.name < b.name ? -1 : 1))
  const jobs = listJobs(s, 'default', { limit: 1e9 }).map((j) => ({ ...j, history: j.history.length }))
  return JSON.stringify({ queues, jobs, delayed: s.delayed.size, tags: [...s.tags.keys()].sort() })
}

/** A mixed workload on a memory log that keeps its records. */
async function workload(): Promise<{ engine: Engine; log: MemoryLog; state: PipelineState }> {
  const engine = await Engine.open({ durability: 'memory', logger: recordingLogger() })
  const p = (engine as any).handles.get('default').pipeline
  const log: MemoryLog = p.log
  ;(log as any).keep = true
  const a = engine.queue('a', { attempts: 2, keepCompleted: 5 })
  const b = engine.queue('b', { serial: true })
  const c = engine.queue('c', { groupConcurrency: 2 })
  await a.pause()
  await a.resume()
  const done = deferred()
  let n = 0
  a.process(async (job) => {
    if (job.data % 4 === 0 && job.attempt === 1) throw new Error(`fail ${job.data}`)
    if (job.data % 10 === 0) return { next: { queue: 'c', data: job.data, options: { group: `g${job.data % 3}` } }, result: 'moved' }
    if (++n === 25) done.resolve()
    return job.data
  }, { concurrency: 3 })
  await a.addBulk(Array.from({ length: 30 }, (_, i) => ({ data: i, options: { priority: i % 3, tags: [`t${i % 4}`] } })))
  await b.add('b1', { key: 'k1' })
  await b.add('b1-dup', { key: 'k1', onDuplicate: 'replace' })
  await b.add('b2', { delay: 60_000 })
  const moved = await c.add('moving')
  await moved.moveTo('b')
  const removed = await c.add('gone', { tags: ['x'] })
  await removed.remove()
  await done.promise
  await p.committer.idle()
  return { engine, log, state: p.state }
}

describe('the state is a pure fold of its events', () => {
  it('replaying the log rebuilds exactly the live state', async () => {
    const { engine, log, state } = await workload()
    const rebuilt = await loadState('default', log)
    expect(rebuilt.state.lsn).toBe(state.lsn)
    expect(summary(rebuilt.state)).toBe(summary(state))
    await engine.close()
  })

  it('a snapshot decodes to the same state, and snapshot + tail = full replay', async () => {
    const { engine, log, state } = await workload()
    const snap = encodeSnapshot(state, state.lsn, () => true)
    const decoded = decodeSnapshot('default', Buffer.concat(snap))
    expect(summary(decoded)).toBe(summary(state))

    // Snapshot at a midpoint, then replay the rest.
    const mid = Math.floor(log.records.length / 2)
    const head = new MemoryLog(true)
    for (const r of log.records.slice(0, mid)) head.push(r.payload, r.type)
    const headState = (await loadState('default', head)).state
    const both = new MemoryLog(true)
    for (const r of log.records) both.push(r.payload, r.type)
    await both.writeSnapshot(headState.lsn, encodeSnapshot(headState, headState.lsn, () => true))
    const viaSnapshot = await loadState('default', both)
    expect(viaSnapshot.snapshotLsn).toBe(mid)
    expect(summary(viaSnapshot.state)).toBe(summary(state))
    await engine.close()
  })
})

describe('replay agrees with live runs on unlogged promotions and re-keyed retries', () => {
  it('a delayed job that was promoted by the timer and ran is completed after replay too', async () => {
    const { vi } = await import('vitest')
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const engine = await Engine.open({ durability: 'memory', logger: recordingLogger() })
      const p = (engine as any).handles.get('default').pipeline
      ;(p.log as any).keep = true
      const q = engine.queue('q')
      q.process(async () => 'done')
      const job = await q.add('later', { delay: 1_000 })
      const finished = job.finished()
      await vi.advanceTimersByTimeAsync(1_001)
      await finished
      await p.committer.idle()
      const rebuilt = await loadState('default', p.log)
      expect(summary(rebuilt.state)).toBe(summary(p.state))
      expect(rebuilt.state.jobs.get(job.numericId)!.state).toBe(3) // completed
      await engine.close()
    } finally {
      vi.useRealTimers()
    }
  })

  it('a keyed job retried after a newer job took its key gives the key up, live and on replay', async () => {
    const engine = await Engine.open({ durability: 'memory', logger: recordingLogger() })
    const p = (engine as any).handles.get('default').pipeline
    ;(p.log as any).keep = true
    const q = engine.queue('q', { attempts: 2 })
    const first = await q.add('a', { key: 'k' })
    const lease = q.reserve()!
    const second = await q.add('b', { key: 'k' })
    expect(second.id).not.toBe(first.id)
    await q.fail(lease, 'retry me')
    expect(first.state).toBe('waiting')
    // The key stays with the newer job; a third add deduplicates to it.
    expect((await q.add('c', { key: 'k' })).id).toBe(second.id)
    await p.committer.idle()
    const rebuilt = await loadState('default', p.log)
    expect(summary(rebuilt.state)).toBe(summary(p.state))
    await engine.close()
  })

  for (const concurrency of [1, 2]) {
    it(`a snapshot taken while keyed jobs run unlogged gives the key to the later add, as replay does (concurrency ${concurrency})`, async () => {
      // Job A runs (its start rides with the next flush, not yet logged); B is added with A's key, which a running
      // job does not hold, and with room for two B runs too. The log reads: add A, add B; replaying it takes the
      // key from A. The snapshot writes the running jobs back as waiting, as before their starts: loading it must
      // not leave two pending jobs with one key after a crash.
      const { MemoryFs } = await import('@wq/wal/testing')
      const mem = new MemoryFs()
      const open = (fs: InstanceType<typeof MemoryFs>) =>
        Engine.open({ dir: '/data', durability: 'sync', logger: recordingLogger(), closeTimeoutMs: 10, snapshotEvery: false, wal: { fs } })
      const engine = await open(mem)
      const q = engine.queue('u', { concurrency })
      const started: string[] = []
      let onStart = () => {}
      q.process((job) => { started.push(job.id); onStart(); return new Promise(() => {}) })
      const runs = (n: number) => new Promise<void>((resolve) => { onStart = () => started.length >= n && resolve(); onStart() })
      const a = await q.add('A', { key: 'k' })
      await runs(1)
      const b = await q.add('B', { key: 'k' })
      expect(b.id).not.toBe(a.id)
      await runs(concurrency)
      await engine.snapshot()
      // MemoryFs does no real I/O: the image is taken before the start records are flushed.
      const image = mem.crash({ unsynced: 'drop', seed: 1 })
      await engine.close()

      const after = await open(image)
      const pending = after.queue('u').jobs({ limit: 10 }).map((j) => ({ id: j.id, state: j.state, key: j.key }))
      expect(pending).toEqual([
        { id: a.id, state: 'waiting', key: undefined },
        { id: b.id, state: 'waiting', key: 'k' },
      ])
      expect((await after.queue('u').add('C', { key: 'k' })).id).toBe(b.id)
      await after.close()
    })
  }

  it('queue settings apply in log order: an add logged before a config change keeps the old settings', async () => {
    const engine = await Engine.open({ durability: 'memory', logger: recordingLogger() })
    const p = (engine as any).handles.get('default').pipeline
    ;(p.log as any).keep = true
    const before = engine.queue('q').add('before')
    engine.queue('q', { attempts: 7 })
    const after = engine.queue('q').add('after')
    const [a, b] = await Promise.all([before, after])
    expect(a.info()!.maxAttempts).toBe(3)
    expect(b.info()!.maxAttempts).toBe(7)
    await p.committer.idle()
    const rebuilt = await loadState('default', p.log)
    expect(summary(rebuilt.state)).toBe(summary(p.state))
    await engine.close()
  })
})
