// ENOSPC and EIO injected into the WAL (FaultyFs over MemoryFs) on write, fsync
// and rename, at the Nth operation for N = 1..K, transient and persistent:
// - each affected append rejects with the OS error (or, after an fsync failure
//   poisoned the log, with WalPoisonedError carrying it);
// - what was acknowledged stays readable, by a reader while the writer is
//   broken and after reopening;
// - a failed write leaves no half-record behind (nothing rejected reappears);
// - once the fault is gone, a reopened log works again.
import { describe, expect, it } from 'vitest'
import { Wal, WalReader } from '@wq/wal'
import { FaultyFs, MemoryFs, type FsOp } from '@wq/wal/testing'
import { printSummary } from '../crash/summary.js'

const DIR = '/wal'
const K = Number(process.env.WQ_FAULT_NTH ?? 12)

interface Outcome {
  acked: Map<number, Buffer>
  rejected: Buffer[]
  errors: unknown[]
}

function payload(i: number): Buffer {
  const b = Buffer.alloc(100 + (i % 7) * 40, i & 0xff)
  b.writeUInt32LE(i)
  return b
}

/** The OS error itself, or a poisoned-log error whose cause is it. */
function isOsError(err: unknown, code: string): boolean {
  const e = err as { code?: string; cause?: { code?: string } }
  return e?.code === code || (e?.code === 'WAL_POISONED' && e.cause?.code === code)
}

async function appendUnderFault(wal: Wal): Promise<Outcome> {
  const out: Outcome = { acked: new Map(), rejected: [], errors: [] }
  // Four concurrent appenders, so failures hit batches of several records.
  for (let i = 0; i < 80; i += 4) {
    await Promise.all(
      [0, 1, 2, 3].map(async (j) => {
        const p = payload(i + j)
        try {
          out.acked.set(await wal.append(p), p)
        } catch (err) {
          out.rejected.push(p)
          out.errors.push(err)
        }
      }),
    )
  }
  return out
}

async function readAll(fs: FaultyFs | MemoryFs): Promise<Map<number, Buffer>> {
  const reader = await WalReader.open(DIR, { fs })
  const out = new Map<number, Buffer>()
  for await (const r of reader.records()) out.set(r.lsn, Buffer.from(r.payload))
  return out
}

async function oneCase(op: FsOp, code: string, nth: number, persistent: boolean, short: boolean) {
  const mem = new MemoryFs()
  const fs = new FaultyFs(mem)
  const wal = await Wal.open({ dir: DIR, fs, segmentBytes: 2048, durability: 'sync' })
  // Count from here: the open's own operations are not the target.
  fs.inject({ op, nth, code, persistent, short, path: op === 'rename' ? '.wal' : undefined })
  const out = await appendUnderFault(wal)
  const where = `${op} #${nth} ${code}${persistent ? ' persistent' : ''}${short ? ' (short write first)' : ''}`

  for (const err of out.errors) expect(isOsError(err, code), `${where}: rejected with ${String(err)}`).toBe(true)
  // Reads keep working while the writer is broken.
  const during = await readAll(mem)
  for (const [lsn, p] of out.acked) expect(during.get(lsn)?.equals(p), `${where}: acknowledged ${lsn} readable`).toBe(true)

  await wal.close().catch(() => undefined)
  fs.clearFaults()
  const reopened = await Wal.open({ dir: DIR, fs })
  const after = await readAll(mem)
  for (const [lsn, p] of out.acked) expect(after.get(lsn)?.equals(p), `${where}: acknowledged ${lsn} survives reopen`).toBe(true)
  if (op === 'write') {
    // A failed write was cut back: none of its records may appear later.
    const seen = new Set([...after.values()].map((b) => b.toString('hex')))
    for (const p of out.rejected) expect(seen.has(p.toString('hex')), `${where}: a rejected record reappeared`).toBe(false)
  }
  // Works again.
  const lsn = await reopened.append(payload(999))
  expect(lsn).toBe(reopened.lastLsn)
  await reopened.close()
  expect((await readAll(mem)).get(lsn)?.equals(payload(999))).toBe(true)
  return { acked: out.acked.size, rejected: out.rejected.length }
}

describe('I/O errors under the WAL (FaultyFs)', () => {
  const cases: [FsOp, string, boolean, boolean][] = [
    ['write', 'ENOSPC', true, false],
    ['write', 'ENOSPC', true, true],
    ['write', 'EIO', false, false],
    ['fsync', 'EIO', false, false],
    ['fsync', 'ENOSPC', true, false],
    ['rename', 'ENOSPC', true, false],
    ['rename', 'EIO', false, false],
  ]
  for (const [op, code, persistent, short] of cases) {
    it(`${op} ${code} ${persistent ? 'persistent' : 'transient'}${short ? ' after a short write' : ''}, at op 1..${K}`, async () => {
      let acked = 0
      let rejected = 0
      for (let nth = 1; nth <= K; nth++) {
        const r = await oneCase(op, code, nth, persistent, short)
        acked += r.acked
        rejected += r.rejected
      }
      expect(rejected, 'the faults were hit').toBeGreaterThan(0)
      printSummary('I/O errors (WAL)', { op, code, persistent, short, cases: K, acknowledged: acked, rejected, lost: 0 })
    })
  }
})

describe('I/O errors while writing a snapshot', () => {
  for (const op of ['write', 'fsync', 'rename', 'fsyncDir'] as const) {
    it(`${op} EIO: writeSnapshot rejects with it, the previous snapshot still loads, no temp file survives reopen`, async () => {
      const mem = new MemoryFs()
      const fs = new FaultyFs(mem)
      const wal = await Wal.open({ dir: DIR, fs })
      for (let i = 0; i < 10; i++) await wal.append(payload(i))
      await wal.writeSnapshot(5, Buffer.from('older'))
      fs.inject({ op, nth: 1, code: 'EIO', path: op === 'fsyncDir' ? undefined : 'snapshot' })
      const failed = await wal.writeSnapshot(10, Buffer.from('newer')).then(() => null, (err: unknown) => err)
      if (op === 'fsyncDir') {
        // The rename happened; only its durability is in doubt. Either outcome is honest, a silent success is not.
        expect(failed === null || isOsError(failed, 'EIO')).toBe(true)
      } else {
        expect(isOsError(failed, 'EIO'), String(failed)).toBe(true)
        expect((await wal.latestSnapshot())?.data.toString()).toBe('older')
      }
      await wal.close().catch(() => undefined)
      fs.clearFaults()
      const reopened = await Wal.open({ dir: DIR, fs })
      expect((await mem.readdir(DIR)).filter((n) => n.endsWith('.tmp'))).toEqual([])
      expect(['older', 'newer']).toContain((await reopened.latestSnapshot())?.data.toString())
      expect(reopened.lastLsn).toBe(10)
      await reopened.close()
    })
  }
})

describe('stopOnWriteFailure', () => {
  it('a transient write failure stops the log: the append waiting on it rejects with the error, later appends throw, and nothing pushed after the failure is written', async () => {
    for (const durability of ['sync', 'interval', 'os'] as const) {
      const mem = new MemoryFs()
      const fs = new FaultyFs(mem)
      const wal = await Wal.open({ dir: DIR, fs, durability, stopOnWriteFailure: true })
      const kept = await wal.append(payload(1))
      fs.inject({ op: 'write', nth: 1, code: 'EIO' }) // transient: the next write would succeed
      const failing = wal.append(payload(2))
      await expect(failing, durability).rejects.toMatchObject({ code: 'EIO' })
      await expect(wal.whenPoisoned(), durability).resolves.toMatchObject({ code: 'EIO' })
      // The log does not go on from the cut, as it does without the option (and would write this record).
      expect(() => wal.push(payload(3)), durability).toThrow(expect.objectContaining({ code: 'WAL_POISONED' }))
      await wal.close().catch(() => undefined)
      const after = await readAll(mem)
      expect([...after.keys()], durability).toEqual([kept])
    }
  })
})
