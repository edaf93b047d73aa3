import { describe, expect, it } from 'vitest'
import { Wal, WalReader, type Durability } from '@wq/wal'
import { FaultyFs, MemoryFs, type FsOp, type UnsyncedFate } from '@wq/wal/testing'
import { payloadFor } from './helpers.js'

interface Image {
  atOp: number
  fate: UnsyncedFate
  /** Highest LSN acknowledged as durable (per mode) before this point. */
  durable: number
  /** Highest LSN covered by a completed sync() before this point. */
  synced: number
  /** Records pushed before this point. */
  pushes: number
  fs: MemoryFs
}

const FATES: UnsyncedFate[] = ['drop', 'keep', 'garble', 'random']

/** Takes a power-loss image of the underlying MemoryFs before every operation. */
class CrashPointFs extends FaultyFs {
  readonly images: Image[] = []
  durable = 0
  synced = 0
  pushes = 0
  /** @param randomImages 0: one image per operation, cycling through the fates; N: N 'random' images per operation in the six operations after each injected fault. */
  constructor(
    private readonly mem: MemoryFs,
    private readonly randomImages = 0,
  ) {
    super(mem)
  }
  override check(op: FsOp, path: string, detail?: string): 'short' | undefined {
    const n = this.ops.length
    const take = (fate: UnsyncedFate, seed: number) =>
      this.images.push({ atOp: n, fate, durable: this.durable, synced: this.synced, pushes: this.pushes, fs: this.mem.crash({ unsynced: fate, seed }) })
    if (this.randomImages === 0) take(FATES[n % FATES.length], n + 1)
    else if (this.lastFault >= 0 && n - this.lastFault <= 6) for (let k = 0; k < this.randomImages; k++) take('random', n * 1000 + k)
    try {
      return super.check(op, path, detail)
    } finally {
      if (this.ops[this.ops.length - 1]?.injected) this.lastFault = this.ops.length
    }
  }
  /** Op count at the last injected fault (-1: none yet). */
  private lastFault = -1
}

/** Appenders in parallel, a snapshot + compaction midway, segment rotations. */
/** Every payload pushed with each LSN, in push order (a rejected append's LSN is handed out again). */
type Versions = Map<number, { seq: number; payload: Buffer }[]>

async function workload(fs: CrashPointFs, durability: Durability, payloads: Versions): Promise<void> {
  const wal = await Wal.open({ dir: '/w', fs, durability, segmentBytes: 1024, bufferRecords: 8, flushMs: 1 })
  let next = 0
  const appender = async (n: number) => {
    for (let k = 0; k < n; k++) {
      const p = payloadFor(next++, 20 + (next % 50))
      const lsn = wal.push(p)
      const versions = payloads.get(lsn) ?? []
      versions.push({ seq: fs.pushes++, payload: p })
      payloads.set(lsn, versions)
      await wal.durable(lsn).catch(() => {})
      fs.durable = Math.max(fs.durable, wal.durableLsn)
    }
  }
  await Promise.all(Array.from({ length: 8 }, () => appender(12)))
  const before = wal.lastLsn
  await wal.sync()
  fs.synced = before
  await wal.writeSnapshot(wal.lastLsn, Buffer.from(`state@${wal.lastLsn}`))
  await wal.compact()
  await Promise.all(Array.from({ length: 8 }, () => appender(8)))
  await wal.close()
  fs.synced = wal.lastLsn
}

/** The payload an LSN held at the image's point: the newest pushed before it. */
function expectedAt(payloads: Versions, lsn: number, img: Image): Buffer | undefined {
  return payloads.get(lsn)?.filter((v) => v.seq < img.pushes).at(-1)?.payload
}

async function checkImage(img: Image, durability: Durability, payloads: Versions): Promise<void> {
  const where = `${durability} image before op ${img.atOp} (${img.fate})`
  const wal = await Wal.open({ dir: '/w', fs: img.fs }).catch((e) => {
    throw new Error(`${where}: open failed: ${e.message}`)
  })
  try {
    // Every acknowledged record survived (sync mode) / every explicitly synced one (all modes).
    const mustHave = durability === 'sync' ? Math.max(img.durable, img.synced) : img.synced
    expect(wal.lastLsn, where).toBeGreaterThanOrEqual(mustHave)
    const snap = await wal.latestSnapshot()
    if (snap) {
      expect(snap.lsn, where).toBeLessThanOrEqual(wal.lastLsn)
      expect(snap.data.toString(), where).toBe(`state@${snap.lsn}`)
    }
    // What is there is exactly what was appended, contiguous from the first segment (or snapshot).
    const first = wal.segments()[0].firstLsn
    if (first > 1) expect(snap?.lsn ?? -1, where).toBeGreaterThanOrEqual(first - 1)
    let expected = first
    await wal.replay(first, (r) => {
      expect(r.lsn, where).toBe(expected++)
      const want = expectedAt(payloads, r.lsn, img)
      expect(want, `${where} lsn ${r.lsn} was never pushed`).toBeDefined()
      expect(Buffer.compare(Buffer.from(r.payload), want!), `${where} lsn ${r.lsn}`).toBe(0)
    })
    expect(expected - 1, where).toBe(wal.lastLsn)
    // The recovered log accepts appends and reopens cleanly.
    await wal.append(Buffer.from('after'))
    await wal.close()
    const again = await WalReader.open('/w', { fs: img.fs })
    const report = await again.verify()
    expect(report.problems, where).toEqual([])
  } finally {
    await wal.close()
  }
}

describe('simulated power loss at every file-system operation', () => {
  for (const durability of ['sync', 'interval', 'os', 'buffered'] as Durability[]) {
    it(`recovers a consistent prefix with every acknowledged record (${durability})`, async () => {
      const mem = new MemoryFs()
      const fs = new CrashPointFs(mem)
      const payloads: Versions = new Map()
      await workload(fs, durability, payloads)
      expect(fs.images.length).toBeGreaterThan(100)
      for (const img of fs.images) await checkImage(img, durability, payloads)
    })
  }

  it('after a failed (short) write, a power cut never brings back the rejected records', async () => {
    const mem = new MemoryFs()
    const fs = new CrashPointFs(mem, 16)
    fs.inject({ op: 'write', nth: 9, code: 'EIO', short: true })
    fs.inject({ op: 'write', nth: 30, code: 'ENOSPC' })
    const payloads: Versions = new Map()
    await workload(fs, 'sync', payloads)
    expect(fs.ops.filter((o) => o.injected).length).toBeGreaterThanOrEqual(2)
    for (const img of fs.images) await checkImage(img, 'sync', payloads)
  })

  it('a segment created without its directory fsync would lose acknowledged records (the check above has teeth)', async () => {
    const mem = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs: mem, durability: 'sync', segmentBytes: 256 })
    for (let i = 0; i < 20; i++) await wal.append(payloadFor(i, 40))
    await wal.close()
    // Simulate the bug: forget the newest segment's directory entry.
    const image = mem.crash({ unsynced: 'keep' })
    const segs = wal.segments()
    await image.unlink(segs[segs.length - 1].file)
    const reopened = await Wal.open({ dir: '/w', fs: image })
    expect(reopened.lastLsn).toBeLessThan(20)
    await reopened.close()
  })
})
