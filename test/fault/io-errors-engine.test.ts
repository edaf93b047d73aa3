// ENOSPC and EIO under the engine (its WAL on FaultyFs over MemoryFs): the
// affected operations reject with the OS error, nothing from a failed write is
// applied in memory, reads keep being served, nothing acknowledged is lost,
// and the engine works again after a reopen once the fault is gone.
import { describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { FaultyFs, MemoryFs, type FsOp } from '@wq/wal/testing'
import { printSummary } from '../crash/summary.js'

const silent = { info() {}, warn() {}, error() {}, debug() {} }
const K = Number(process.env.WQ_FAULT_NTH ?? 6)

function openEngine(fs: FaultyFs): Promise<Engine> {
  return Engine.open({
    dir: '/data',
    durability: 'sync',
    logger: silent,
    snapshotEvery: false,
    closeTimeoutMs: 50,
    wal: { fs, segmentBytes: 4096 },
  })
}

/** The OS error, or any error whose cause chain holds it. */
function hasCode(err: unknown, code: string): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === code) return true
  }
  return false
}

async function addUnderFault(engine: Engine) {
  const q = engine.queue('q')
  const acked = new Map<string, number>()
  const rejected: number[] = []
  const errors: unknown[] = []
  for (let i = 0; i < 60; i += 4) {
    await Promise.all(
      [0, 1, 2, 3].map(async (j) => {
        const n = i + j
        try {
          const job = await q.add({ n, pad: 'x'.repeat(200) })
          acked.set(job.id, n)
        } catch (err) {
          rejected.push(n)
          errors.push(err)
        }
      }),
    )
  }
  return { acked, rejected, errors }
}

async function oneAddCase(op: FsOp, code: string, nth: number, persistent: boolean) {
  const fs = new FaultyFs(new MemoryFs())
  const engine = await openEngine(fs)
  fs.inject({ op, nth, code, persistent, path: op === 'rename' ? '.wal' : undefined })
  const { acked, rejected, errors } = await addUnderFault(engine)
  const where = `${op} #${nth} ${code}${persistent ? ' persistent' : ''}`

  for (const err of errors) expect(hasCode(err, code), `${where}: add rejected with ${String(err)}`).toBe(true)
  // Reads are served, and memory holds exactly the acknowledged adds: nothing from a failed write.
  const listed = engine.queue('q').jobs({ limit: 1000 })
  expect(listed.map((j) => j.id).sort(), `${where}: jobs in memory`).toEqual([...acked.keys()].sort())
  for (const [id, n] of acked) expect((engine.getJob(id)?.data as { n: number }).n).toBe(n)
  const counts = engine.stats().pipelines[0].queues.find((s) => s.name === 'q')!.counts
  expect(counts.waiting, `${where}: waiting count`).toBe(acked.size)

  await engine.close().catch(() => undefined)
  fs.clearFaults()
  const again = await openEngine(fs)
  for (const [id, n] of acked) {
    expect((again.getJob(id)?.data as { n: number } | undefined)?.n, `${where}: acknowledged job ${id} after reopen`).toBe(n)
  }
  if (op === 'write') {
    const present = new Set(again.queue('q').jobs({ limit: 1000 }).map((j) => (j.data as { n: number }).n))
    for (const n of rejected) expect(present.has(n), `${where}: rejected add ${n} reappeared`).toBe(false)
  }
  // Works again: add, process, finish.
  const q = again.queue('q')
  q.process(async () => 'ok')
  const job = await q.add({ n: 999 })
  await expect(job.finished()).resolves.toBe('ok')
  await again.close()
  return { acked: acked.size, rejected: rejected.length }
}

describe('I/O errors under the engine (FaultyFs)', () => {
  const cases: [FsOp, string, boolean][] = [
    ['write', 'ENOSPC', true],
    ['write', 'EIO', false],
    ['fsync', 'EIO', false],
    ['rename', 'ENOSPC', true],
  ]
  for (const [op, code, persistent] of cases) {
    it(`adds: ${op} ${code} ${persistent ? 'persistent' : 'transient'} at op 1..${K}`, async () => {
      let acked = 0
      let rejected = 0
      for (let nth = 1; nth <= K; nth++) {
        const r = await oneAddCase(op, code, nth, persistent)
        acked += r.acked
        rejected += r.rejected
      }
      expect(rejected, 'the faults were hit').toBeGreaterThan(0)
      printSummary('I/O errors (engine)', { op, code, persistent, cases: K, acknowledged: acked, rejected, lost: 0 })
    })
  }

  for (const op of ['write', 'fsync'] as const) {
    it(`a completion whose ${op} fails is not applied: finished() rejects with the OS error, the job is not completed, and it runs again after reopen`, async () => {
      const fs = new FaultyFs(new MemoryFs())
      const engine = await openEngine(fs)
      const q = engine.queue('q')
      const job = await q.add({ n: 1 })
      fs.inject({ op, nth: 1, code: 'EIO', persistent: true })
      let ran = 0
      q.process(async () => {
        ran++
        return 'done'
      })
      const outcome = await job.finished().then(() => null, (err: unknown) => err)
      expect(ran).toBe(1)
      expect(hasCode(outcome, 'EIO'), `finished() settled with ${String(outcome)}`).toBe(true)
      // Reads still work, and the failed completion is not in memory.
      expect(engine.getJob(job.id)?.info()?.state).not.toBe('completed')
      await engine.close().catch(() => undefined)

      fs.clearFaults()
      const again = await openEngine(fs)
      again.queue('q').process(async () => 'second run')
      if (op === 'write') {
        // The write was cut back: the completion is not in the log, so the job runs again.
        expect(again.getJob(job.id)?.info()?.state).not.toBe('completed')
        await expect(again.getJob(job.id)!.finished()).resolves.toBe('second run')
      } else {
        // The write reached the file before its fsync failed: without a power cut it may be there.
        await expect(again.getJob(job.id)!.finished()).resolves.toMatch(/^(done|second run)$/)
      }
      await again.close()
    })
  }
})
