// A commit batch can fail after part of it became durable: the WAL writes and fsyncs the records that fill a
// segment, then fails to publish the next segment (here: an injected write error on its file). The records
// before the failure are on disk and come back after a restart, so they must be acknowledged and applied; only
// the records after the failure are rejected. Sweeping the job size moves the failure across the batch and
// across rotations. The engine used to reject the whole batch, so an add it reported as failed reappeared,
// and a job whose finished() had rejected turned out completed after a restart.
import { describe, expect, it } from 'vitest'
import { Engine, type DurabilityMode } from '@wq/engine'
import { FaultyFs, MemoryFs } from '@wq/wal/testing'

const silent = { info() {}, warn() {}, error() {}, debug() {} }

function openEngine(fs: FaultyFs, durability: DurabilityMode): Promise<Engine> {
  return Engine.open({ dir: '/data', durability, logger: silent, snapshotEvery: false, closeTimeoutMs: 50, wal: { fs, segmentBytes: 4096 } })
}

async function oneCase(durability: DurabilityMode, pad: number, nth: number, op: 'write' | 'truncate' = 'write') {
  const fs = new FaultyFs(new MemoryFs())
  const engine = await openEngine(fs, durability)
  fs.inject({ op, nth, code: 'EIO', persistent: false })
  const q = engine.queue('q')
  const acked = new Set<number>()
  const rejected: number[] = []
  for (let i = 0; i < 48; i += 4) {
    await Promise.all([0, 1, 2, 3].map(async (j) => {
      const n = i + j
      try {
        await q.add({ n, pad: 'x'.repeat(pad) })
        acked.add(n)
      } catch {
        rejected.push(n)
      }
    }))
  }
  // Memory holds exactly the acknowledged adds.
  const live = q.jobs({ limit: 1000 }).map((j) => (j.data as { n: number }).n).sort((a, b) => a - b)
  await engine.close().catch(() => undefined)
  fs.clearFaults()
  const again = await openEngine(fs, durability)
  const after = new Set(again.queue('q').jobs({ limit: 1000 }).map((j) => (j.data as { n: number }).n))
  await again.close()
  return { acked, rejected, live, after }
}

describe.each(['sync', 'sync-enqueue', 'interval', 'os'] as DurabilityMode[])('a write that fails partway through a batch (%s)', (durability) => {
  it('acknowledges and keeps what became durable, rejects only the rest, and a rejected add never reappears', async () => {
    let rejectedTotal = 0
    let ackedBeforeAFailure = 0
    for (let pad = 150; pad <= 260; pad += 10) {
      for (let nth = 5; nth <= 8; nth++) {
        const where = `${durability}, ${pad}-byte pad, write #${nth} fails`
        const { acked, rejected, live, after } = await oneCase(durability, pad, nth)
        expect(live, `${where}: jobs in memory`).toEqual([...acked].sort((a, b) => a - b))
        for (const n of acked) expect(after.has(n), `${where}: acknowledged add ${n} after reopen`).toBe(true)
        for (const n of rejected) expect(after.has(n), `${where}: rejected add ${n} reappeared`).toBe(false)
        rejectedTotal += rejected.length
        if (rejected.length > 0) ackedBeforeAFailure += [...acked].filter((n) => n > Math.min(...rejected) - 4).length
      }
    }
    expect(rejectedTotal, 'the faults were hit').toBeGreaterThan(0)
    // Some cases put acknowledged adds in the same group of four as the first rejected one: the split batch.
    expect(ackedBeforeAFailure, 'a batch was split by a failure').toBeGreaterThan(0)
  })
})

// Sealing a segment cuts its zero-filled tail (`preallocate`, on in `sync` and `sync-enqueue`). When that cut
// fails the log stops, but the records before it are whole on disk: the seal fsyncs them first, and they are
// acknowledged. The cut used to come first, so they were rejected and then came back on reopen.
describe.each(['sync', 'sync-enqueue'] as DurabilityMode[])('a seal whose zero-filled tail cannot be cut (%s)', (durability) => {
  it('acknowledges the records fsynced before the cut, rejects only the rest, and a rejected add never reappears', async () => {
    let rejectedTotal = 0
    let ackedInAFailedRun = 0
    for (let pad = 150; pad <= 1050; pad += 100) {
      const where = `${durability}, ${pad}-byte pad, the first truncate fails`
      const { acked, rejected, live, after } = await oneCase(durability, pad, 1, 'truncate')
      expect(live, `${where}: jobs in memory`).toEqual([...acked].sort((a, b) => a - b))
      for (const n of acked) expect(after.has(n), `${where}: acknowledged add ${n} after reopen`).toBe(true)
      for (const n of rejected) expect(after.has(n), `${where}: rejected add ${n} reappeared`).toBe(false)
      rejectedTotal += rejected.length
      if (rejected.length > 0) ackedInAFailedRun += acked.size
    }
    expect(rejectedTotal, 'the faults were hit').toBeGreaterThan(0)
    expect(ackedInAFailedRun, 'records before the failed cut were acknowledged').toBeGreaterThan(0)
  })
})

describe.each(['sync', 'sync-enqueue', 'os'] as DurabilityMode[])('completions when a write fails partway through a batch (%s)', (durability) => {
  it('finished() resolves exactly for the jobs that are completed after a restart', async () => {
    let split = 0
    for (const resultBytes of [0, 60, 300]) {
      for (let nth = 1; nth <= 16; nth++) {
        const where = `${durability}, ${resultBytes}-byte results, write #${nth} fails`
        const fs = new FaultyFs(new MemoryFs())
        const open = () => Engine.open({ dir: '/data', durability, logger: silent, snapshotEvery: false, closeTimeoutMs: 50, wal: { fs, segmentBytes: 2048 } })
        const engine = await open()
        const q = engine.queue('q', { attempts: 5 })
        const jobs = await q.addBulk(Array.from({ length: 40 }, (_, n) => ({ data: { n } })))
        fs.inject({ op: 'write', nth, code: 'EIO', persistent: false })
        const resolved = new Set<string>()
        q.process(async () => 'r'.repeat(resultBytes), { concurrency: 4 })
        await Promise.all(jobs.map((j) => j.finished().then(() => resolved.add(j.id), () => undefined)))
        await engine.close().catch(() => undefined)
        fs.clearFaults()
        const again = await open()
        for (const j of jobs) {
          const completed = again.getJob(j.id)?.info()?.state === 'completed'
          expect(completed, `${where}: job ${j.id} ${resolved.has(j.id) ? 'resolved' : 'rejected'} finished()`).toBe(resolved.has(j.id))
        }
        await again.close()
        if (resolved.size > 0 && resolved.size < jobs.length) split++
      }
    }
    expect(split, 'some batches were split by the failure').toBeGreaterThan(0)
  })
})
