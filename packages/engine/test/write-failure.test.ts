import { afterEach, describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { FaultyFs, MemoryFs } from '@wq/wal/testing'
import { nodeFs } from '@wq/wal'
import { cleanupDirs, deferred, recordingLogger, tempDir } from './helpers.js'

afterEach(() => cleanupDirs())

async function openFaulty() {
  const dir = tempDir()
  const fs = new FaultyFs(nodeFs)
  const engine = await Engine.open({ dir, durability: 'sync', logger: recordingLogger(), wal: { fs }, snapshotEvery: false })
  const errors: Error[] = []
  engine.on('error', (e) => errors.push(e))
  return { dir, fs, engine, errors }
}

describe('a failed WAL write leaves nothing applied', () => {
  it('add rejects and the job does not exist or run', async () => {
    const { fs, engine, errors } = await openFaulty()
    const q = engine.queue('q')
    const ran: unknown[] = []
    q.process(async (job) => { ran.push(job.data) })
    await (await q.add('ok')).finished()
    fs.inject({ op: 'fsync', nth: 1, code: 'EIO', persistent: true })
    await expect(q.add('lost')).rejects.toThrow()
    await new Promise((r) => setTimeout(r, 20))
    expect(q.stats().counts.waiting).toBe(0)
    expect(q.stats().totals.added).toBe(1)
    expect(q.jobs({ limit: 100 }).map((j) => j.data)).not.toContain('lost')
    expect(ran).not.toContain('lost')
    expect(errors.length).toBe(1)
    await expect(q.add('after')).rejects.toThrow()
    await engine.close().catch(() => {})
  })

  it('finished() does not resolve when the completion is not durable', async () => {
    const { fs, engine } = await openFaulty()
    const q = engine.queue('q')
    const job = await q.add('x')
    const release = deferred()
    const started = deferred()
    q.process(async () => { started.resolve(); await release.promise; return 'done' })
    await started.promise
    await new Promise((r) => setImmediate(r))
    await (engine as any).handles.get('default').pipeline.committer.idle()
    fs.inject({ op: 'fsync', nth: 1, code: 'EIO', persistent: true })
    const finished = job.finished()
    release.resolve()
    await expect(finished).rejects.toThrow()
    expect(job.state).not.toBe('completed')
    expect(q.stats().totals.completed).toBe(0)
    await engine.close().catch(() => {})
  })

  it('a deduplicated unique add does not resolve before (or without) the original being durable', async () => {
    const { fs, engine } = await openFaulty()
    const q = engine.queue('q')
    await q.add('warm-up')
    fs.inject({ op: 'fsync', nth: 1, code: 'EIO', persistent: true })
    const original = q.add('a', { key: 'k' })
    const dup = q.add('b', { key: 'k' })
    await expect(original).rejects.toThrow()
    await expect(dup).rejects.toThrow()
    await engine.close().catch(() => {})
  })
})

describe('after a failed write', () => {
  it('handlers that finish later neither crash the process nor apply anything', async () => {
    const { fs, engine, errors } = await openFaulty()
    const q = engine.queue('q')
    const release = deferred()
    let started = 0
    const allStarted = deferred()
    q.process(async () => { if (++started === 3) allStarted.resolve(); await release.promise }, { concurrency: 3 })
    const jobs = await Promise.all([1, 2, 3].map((i) => q.add(i)))
    await allStarted.promise
    fs.inject({ op: 'fsync', nth: 1, code: 'EIO', persistent: true })
    await expect(q.add(4)).rejects.toThrow()
    const settled = jobs.map((j) => j.finished().then(() => 'resolved', () => 'rejected'))
    release.resolve()
    expect(await Promise.all(settled)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(q.stats().totals.completed).toBe(0)
    expect(errors.length).toBe(1)
    await engine.close().catch(() => {})
  })
})

describe('once the log has stopped, nothing waits forever', () => {
  it('an add waiting for room is refused when the pipeline stops (no room can come)', async () => {
    const { fs, engine, errors } = await openFaulty()
    const q = engine.queue('q', { maxPending: 1, onFull: 'wait' })
    await q.add('fills the queue')
    const waiting = q.add('waits for room').then(() => 'resolved', (e: Error) => `rejected: ${(e as { code?: string }).code}`)
    fs.inject({ op: 'fsync', nth: 1, code: 'EIO', persistent: true })
    await expect(engine.queue('other').add('breaks the log')).rejects.toThrow()
    expect(await waiting).toBe('rejected: EIO')
    expect(errors.length).toBe(1)
    await engine.close().catch(() => {})
  })

  it("a lease's fail() on a stopped log rejects", async () => {
    const { fs, engine } = await openFaulty()
    const q = engine.queue('q', { attempts: 1 })
    await q.add('x')
    const lease = q.reserve({ leaseMs: 60_000 })!
    // The start is logged and durable before the log stops: the lease outlives the failure.
    ;(engine as any).handles.get('default').pipeline.runs.flushStarts()
    await engine.flush()
    fs.inject({ op: 'fsync', nth: 1, code: 'EIO', persistent: true })
    await expect(engine.queue('other').add('breaks the log')).rejects.toThrow()
    await expect(q.fail(lease, 'handler error')).rejects.toMatchObject({ code: 'EIO' })
    await engine.close().catch(() => {})
  })

  it('buffered: a background write that fails stops the pipeline at once, with no call waiting on it', async () => {
    const fs = new FaultyFs(new MemoryFs())
    const engine = await Engine.open({ dir: '/data', durability: 'buffered', logger: recordingLogger(), snapshotEvery: false, wal: { fs } })
    const stopped = new Promise<Error>((resolve) => engine.on('error', resolve))
    const q = engine.queue('q')
    await q.add('written')
    await engine.flush()
    fs.inject({ op: 'write', nth: 1, code: 'EIO', persistent: false })
    // Acknowledged on entering the buffer; the write that fails comes later, from the flush timer.
    await q.add('lost with the failed write')
    expect(await stopped).toMatchObject({ code: 'EIO' })
    await expect(q.add('after')).rejects.toThrow()
    await engine.close().catch(() => {})
  })
})

describe('a write that fails while opening', () => {
  // The image: one job, running at a power cut (so opening logs it back as "worker lost"), or waiting (so the
  // first write is the open record).
  async function image(running: boolean): Promise<MemoryFs> {
    const live = new MemoryFs()
    const engine = await Engine.open({ dir: '/data', logger: recordingLogger(), snapshotEvery: false, closeTimeoutMs: 10, wal: { fs: live } })
    const q = engine.queue('q')
    await q.add('x')
    if (running) {
      const started = deferred()
      q.process(() => { started.resolve(); return new Promise(() => {}) })
      await started.promise
      ;(engine as any).handles.get('default').pipeline.runs.flushStarts()
    }
    await engine.flush()
    const mem = live.crash({ unsynced: 'drop', seed: 1 })
    await engine.close().catch(() => {})
    return mem
  }

  for (const running of [true, false]) {
    it(`fails the open and leaves the directory to a later open (${running ? 'the worker-lost record' : 'the open record'})`, async () => {
      const fs = new FaultyFs(await image(running))
      const open = () => Engine.open({ dir: '/data', logger: recordingLogger(), snapshotEvery: false, wal: { fs } })
      // The first write to the log (not the lock file's PID): the worker-lost record, or the open record.
      fs.inject({ op: 'write', nth: 1, code: 'EIO', persistent: false, path: '.wal' })
      // Not an engine that refuses every call: the open itself fails, with the cause.
      await expect(open()).rejects.toMatchObject({ code: 'EIO' })
      fs.clearFaults()
      const again = await open()
      expect(again.queue('q').jobs({ limit: 10 }).map((j) => [j.data, j.state])).toEqual([['x', 'waiting']])
      await again.close()
    })
  }
})

describe('a record that cannot be applied', () => {
  it('stops its pipeline with an error event and fails its waiter, instead of throwing out of the commit loop', async () => {
    const { EV_ADD } = await import('../src/codec/event-types.js')
    const { APPLY } = await import('../src/runtime/committer.js')
    const engine = await Engine.open({ durability: 'memory', logger: recordingLogger() })
    const errors: Error[] = []
    engine.on('error', (e) => errors.push(e))
    const q = engine.queue('q')
    await q.add('before')
    const p = (engine as any).handles.get('default').pipeline
    // An add record holding only its time: applying it reads past its end. Nothing the engine logs looks like
    // this (options and data are checked first); this stands for a bug in an encoder.
    const failed = deferred<Error>()
    p.committer.submit(EV_ADD, new Uint8Array([1]), APPLY, { committed: () => failed.resolve(new Error('committed')), failed: (e: Error) => failed.resolve(e) }, true)
    const err = await failed.promise
    expect((err as Error & { code?: string }).code).toBe('APPLY_FAILED')
    expect(err.message).toMatch(/could not be applied, so the pipeline stops: read past end of event/)
    expect(errors).toEqual([err])
    await expect(q.add('after')).rejects.toBe(err)
    expect(q.jobs({ limit: 10 }).map((j) => j.data)).toEqual(['before'])
    await engine.close().catch(() => {})
  })
})
