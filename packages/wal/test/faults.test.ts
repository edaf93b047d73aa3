import { describe, expect, it } from 'vitest'
import { Wal, WalPoisonedError } from '@wq/wal'
import { FaultyFs, MemoryFs, type OpLogEntry } from '@wq/wal/testing'
import { payloadFor } from './helpers.js'

type Outcome = { payload: Buffer; lsn?: number; err?: NodeJS.ErrnoException }

/** 3 waves of 12 concurrent appends over small segments (so rotations happen too). */
async function run(wal: Wal): Promise<Outcome[]> {
  const out: Outcome[] = []
  let n = 0
  for (let wave = 0; wave < 3; wave++) {
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const o: Outcome = { payload: payloadFor(n++, 30 + (n % 40)) }
        out.push(o)
        try {
          o.lsn = await wal.append(o.payload)
        } catch (err) {
          o.err = err as NodeJS.ErrnoException
        }
      }),
    )
  }
  return out
}

/** Reopen (after a power cut that keeps nothing unsynced) and compare with the acknowledged appends. */
async function checkLog(mem: MemoryFs, outcomes: Outcome[]): Promise<void> {
  const image = mem.crash({ unsynced: 'drop' })
  const wal = await Wal.open({ dir: '/w', fs: image })
  expect(wal.recovery.truncatedTail).toBeUndefined()
  const got = new Map<number, Buffer>()
  await wal.replay(1, (r) => got.set(r.lsn, Buffer.from(r.payload)))
  const ok = outcomes.filter((o) => o.lsn !== undefined)
  expect(got.size).toBe(ok.length)
  for (const o of ok) expect(Buffer.compare(got.get(o.lsn!)!, o.payload)).toBe(0)
  await wal.close()
}

describe('write failures (ENOSPC, EIO) at the Nth operation', () => {
  for (const code of ['ENOSPC', 'EIO']) {
    for (const persistent of [false, true]) {
      for (const short of [false, true]) {
        it(`${code} ${persistent ? 'persistent' : 'transient'}${short ? ' after a short write' : ''}: exactly the affected appends fail, no half-record survives`, async () => {
          // Every write the workload makes (segment headers and zero-fills included) gets its turn to fail.
          const baseline = new FaultyFs(new MemoryFs())
          const base = await Wal.open({ dir: '/w', fs: baseline, durability: 'sync', segmentBytes: 700 })
          const before = baseline.count('write') // the lock's PID and the first segment header
          await run(base)
          const writes = baseline.count('write') - before
          expect(writes).toBeGreaterThan(5)
          let zeroFillsHit = 0
          for (let nth = 1; nth <= writes; nth++) {
            const mem = new MemoryFs()
            const fs = new FaultyFs(mem)
            const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', segmentBytes: 700 })
            fs.inject({ op: 'write', nth, code, persistent, short })
            const outcomes = await run(wal)
            const failed = outcomes.filter((o) => o.err)
            // A write of zeros ahead of the records (`preallocate`, on in sync mode) failing only stops the
            // filling: a record write meets the fault only if it lasts and a record is written after it.
            const hitZeros = fs.ops.some((e) => e.injected !== undefined && e.detail?.endsWith(' zeros'))
            if (hitZeros) zeroFillsHit++
            if (hitZeros && !persistent) expect(failed, `nth=${nth}`).toEqual([])
            else if (!hitZeros) expect(failed.length, `nth=${nth}`).toBeGreaterThan(0)
            for (const o of failed) expect(o.err!.code, `nth=${nth}`).toBe(code)
            expect(wal.poisoned).toBeNull()
            // LSNs of acknowledged appends are unique and contiguous from 1.
            const lsns = outcomes.filter((o) => o.lsn !== undefined).map((o) => o.lsn!).sort((a, b) => a - b)
            expect(lsns).toEqual(lsns.map((_, i) => i + 1))
            // Space comes back: the log carries on.
            fs.clearFaults()
            const after: Outcome = { payload: Buffer.from('after'), lsn: await wal.append(Buffer.from('after')) }
            expect(after.lsn).toBe(lsns.length + 1)
            await wal.close()
            await checkLog(mem, [...outcomes, after])
          }
          expect(zeroFillsHit, 'some of the failing writes were zero-fills').toBeGreaterThan(0)
        })
      }
    }
  }

  it('a failed rotation (cannot create the next segment) rejects the appends that needed it; the next try succeeds', async () => {
    const mem = new MemoryFs()
    const fs = new FaultyFs(mem)
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', segmentBytes: 300 })
    fs.inject({ op: 'open', nth: 1, code: 'ENOSPC', path: '.tmp' })
    const outcomes = await run(wal)
    expect(outcomes.some((o) => o.err?.code === 'ENOSPC')).toBe(true)
    expect(wal.segments().length).toBeGreaterThan(1)
    await wal.close()
    await checkLog(mem, outcomes)
  })

  it('a failed truncate-back after a failed write poisons the log', async () => {
    const fs = new FaultyFs(new MemoryFs())
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync' })
    await wal.append(Buffer.from('ok'))
    fs.inject({ op: 'write', nth: 1, code: 'EIO' }).inject({ op: 'truncate', nth: 1, code: 'EIO' })
    await expect(wal.append(Buffer.from('lost'))).rejects.toMatchObject({ code: 'EIO' })
    expect(wal.poisoned).not.toBeNull()
    await expect(wal.append(Buffer.from('refused'))).rejects.toBeInstanceOf(WalPoisonedError)
    await wal.close()
  })
})

describe('fsync failure poisons the log', () => {
  it('rejects the waiting appends with the OS error, then refuses everything with WalPoisonedError', async () => {
    const mem = new MemoryFs()
    const fs = new FaultyFs(mem)
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync' })
    await wal.append(Buffer.from('durable'))
    fs.inject({ op: 'fsync', nth: 1, code: 'EIO' })
    const results = await Promise.allSettled([wal.append(Buffer.from('a')), wal.append(Buffer.from('b'))])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect((results[0] as PromiseRejectedResult).reason.code).toBe('EIO')
    expect(wal.poisoned).toMatchObject({ code: 'EIO' })
    await expect(wal.append(Buffer.from('c'))).rejects.toBeInstanceOf(WalPoisonedError)
    expect(() => wal.push(Buffer.from('d'))).toThrow(WalPoisonedError)
    await expect(wal.durable(3)).rejects.toMatchObject({ code: 'EIO' })
    await expect(wal.sync()).rejects.toBeInstanceOf(WalPoisonedError)
    // A retried fsync could lie, so the log does not try again; close still releases the lock.
    fs.clearFaults()
    await wal.close()
    const reopened = await Wal.open({ dir: '/w', fs: mem.crash({ unsynced: 'drop' }) })
    expect(reopened.lastLsn).toBe(1)
    await reopened.close()
  })

  it('also in interval mode, at the periodic fsync', async () => {
    const fs = new FaultyFs(new MemoryFs())
    const wal = await Wal.open({ dir: '/w', fs, durability: 'interval', intervalMs: 5 })
    fs.inject({ op: 'fsync', nth: 1, code: 'EIO' })
    await wal.append(Buffer.from('written, not yet fsynced'))
    await expect(wal.sync()).rejects.toMatchObject({ code: 'EIO' })
    expect(wal.poisoned).not.toBeNull()
    await wal.close()
  })
})

/** Index of the first entry after `from` matching `pred` (throws if none). */
function find(ops: OpLogEntry[], from: number, pred: (e: OpLogEntry) => boolean, what: string): number {
  for (let i = from + 1; i < ops.length; i++) if (pred(ops[i])) return i
  throw new Error(`expected ${what} after op #${from}; log: ${ops.slice(from + 1).map((o) => `${o.op} ${o.path}`).join(' | ')}`)
}

describe('directory fsyncs happen where required (op log)', () => {
  it('creating and rotating segments: tmp written, fsynced, renamed, directory fsynced; old segment sealed first', async () => {
    const fs = new FaultyFs(new MemoryFs())
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os', segmentBytes: 200 })
    const ops = fs.ops
    let i = find(ops, -1, (e) => e.op === 'open' && e.path.endsWith('.wal.tmp'), 'open tmp')
    i = find(ops, i, (e) => e.op === 'write' && e.path.endsWith('.tmp'), 'header write')
    i = find(ops, i, (e) => e.op === 'fsync' && e.path.endsWith('.tmp'), 'tmp fsync')
    i = find(ops, i, (e) => e.op === 'rename' && e.path.endsWith('.tmp'), 'rename')
    i = find(ops, i, (e) => e.op === 'fsyncDir' && e.path === '/w', 'directory fsync')
    const mark = ops.length
    for (let k = 0; k < 10; k++) wal.push(payloadFor(k, 40))
    await wal.sync()
    expect(wal.segments().length).toBeGreaterThan(1)
    const first = wal.segments()[0].file
    let j = find(ops, mark - 1, (e) => e.op === 'fsync' && e.path === first, 'seal fsync of the old segment')
    j = find(ops, j, (e) => e.op === 'open' && e.path.endsWith('.wal.tmp'), 'open next tmp')
    j = find(ops, j, (e) => e.op === 'fsync' && e.path.endsWith('.tmp'), 'tmp fsync')
    j = find(ops, j, (e) => e.op === 'rename', 'rename')
    j = find(ops, j, (e) => e.op === 'fsyncDir', 'directory fsync')
    await wal.close()
  })

  it('snapshots: tmp, fsync, rename, directory fsync; compaction: unlinks then directory fsync', async () => {
    const fs = new FaultyFs(new MemoryFs())
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', segmentBytes: 200 })
    for (let k = 0; k < 10; k++) await wal.append(payloadFor(k, 40))
    const mark = fs.ops.length
    await wal.writeSnapshot(wal.lastLsn, Buffer.from('state'))
    const ops = fs.ops
    let i = find(ops, mark - 1, (e) => e.op === 'open' && e.path.endsWith('.snap.tmp'), 'open snapshot tmp')
    i = find(ops, i, (e) => e.op === 'fsync' && e.path.endsWith('.snap.tmp'), 'snapshot fsync')
    i = find(ops, i, (e) => e.op === 'rename' && e.path.endsWith('.snap.tmp'), 'rename')
    i = find(ops, i, (e) => e.op === 'fsyncDir', 'directory fsync')
    const { removedSegments } = await wal.compact()
    expect(removedSegments.length).toBeGreaterThan(0)
    const lastUnlink = ops.map((e) => e.op).lastIndexOf('unlink')
    find(ops, lastUnlink, (e) => e.op === 'fsyncDir', 'directory fsync after unlinks')
    await wal.close()
  })

  it('a compaction whose unlink fails leaves the segments contiguous; the next one resumes from the failed one', async () => {
    const mem = new MemoryFs()
    const fs = new FaultyFs(mem)
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', segmentBytes: 200 })
    for (let k = 0; k < 20; k++) await wal.append(payloadFor(k, 40))
    await wal.writeSnapshot(wal.lastLsn, Buffer.from('state'))
    const before = wal.segments().map((s) => s.file)
    expect(before.length).toBeGreaterThan(3)
    // The second unlink fails once: the first segment is gone, the second is still there.
    fs.inject({ op: 'unlink', nth: 2, code: 'EIO', persistent: false })
    await expect(wal.compact()).rejects.toMatchObject({ code: 'EIO' })
    expect(wal.segments().map((s) => s.file)).toEqual(before.slice(1))
    // Reopening now (a crash here, the unlink not yet made durable by a directory fsync or made so) finds a
    // contiguous log either way.
    for (const unsynced of ['keep', 'drop'] as const) {
      const reopened = await Wal.open({ dir: '/w', fs: mem.crash({ unsynced }), durability: 'sync' })
      expect(reopened.lastLsn).toBe(20)
      await reopened.close()
    }
    // The next compaction starts from the segment that failed and leaves only the active one.
    const { removedSegments } = await wal.compact()
    expect(removedSegments).toEqual(before.slice(1, -1))
    expect(wal.segments().map((s) => s.file)).toEqual(before.slice(-1))
    await wal.close()
    const again = await Wal.open({ dir: '/w', fs: mem, durability: 'sync' })
    expect(again.lastLsn).toBe(20)
    await again.close()
  })

  it('recovery: removing temp files and cutting a torn tail are followed by a directory fsync', async () => {
    const mem = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs: mem, durability: 'sync' })
    for (let k = 0; k < 5; k++) await wal.append(payloadFor(k, 40))
    await wal.close()
    const seg = wal.segments()[0].file
    mem.setBytes(seg, mem.bytes(seg).subarray(0, mem.bytes(seg).length - 3))
    const stray = await mem.open('/w/00000000000000000099-00000009.wal.tmp', 'truncate')
    await stray.close()
    const fs = new FaultyFs(mem)
    const again = await Wal.open({ dir: '/w', fs })
    expect(again.recovery.removedTempFiles).toEqual(['00000000000000000099-00000009.wal.tmp'])
    expect(again.recovery.truncatedTail).toBeDefined()
    const ops = fs.ops
    let i = find(ops, -1, (e) => e.op === 'unlink' && e.path.endsWith('.tmp'), 'temp removal')
    i = find(ops, i, (e) => e.op === 'fsyncDir', 'directory fsync after temp removal')
    i = find(ops, i, (e) => e.op === 'open' && e.path.includes('.broken-'), 'saving the torn tail aside')
    i = find(ops, i, (e) => e.op === 'truncate' && e.path === seg, 'truncate')
    i = find(ops, i, (e) => e.op === 'fsync' && e.path === seg, 'fsync of the cut segment')
    i = find(ops, i, (e) => e.op === 'fsyncDir', 'directory fsync for the aside file')
    await again.close()
  })
})
