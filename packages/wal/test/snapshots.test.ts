import { describe, expect, it } from 'vitest'
import { Wal, WalReader } from '@wq/wal'
import { MemoryFs, overrideFs, overrideHandle } from '@wq/wal/testing'
import { memoryLogger, payloadFor, tempDir } from './helpers.js'

async function lsnsFrom(wal: Wal | WalReader, from: number): Promise<number[]> {
  const out: number[] = []
  await wal.replay(from, (r) => {
    expect(Buffer.from(r.payload).readUInt32LE(0)).toBe(r.lsn)
    out.push(r.lsn)
  })
  return out
}

describe('snapshots and compaction', () => {
  it('snapshot + compact + reopen yields the same records after the snapshot LSN', async () => {
    const dir = await tempDir()
    const wal = await Wal.open({ dir, durability: 'os', segmentBytes: 2048 })
    for (let i = 1; i <= 300; i++) wal.push(payloadFor(i, 60))
    const info = await wal.writeSnapshot(200, [Buffer.from('state '), Buffer.from('at 200')])
    expect(info).toMatchObject({ lsn: 200 })
    for (let i = 301; i <= 350; i++) wal.push(payloadFor(i, 60))
    const segsBefore = wal.segments()
    const { removedSegments, removedSnapshots } = await wal.compact()
    expect(removedSnapshots).toEqual([])
    expect(removedSegments.length).toBeGreaterThan(0)
    // Exactly the segments wholly covered by the snapshot are gone.
    expect(removedSegments).toEqual(segsBefore.filter((s) => s.lastLsn <= 200).map((s) => s.file))
    const expected = Array.from({ length: 150 }, (_, i) => 201 + i)
    expect(await lsnsFrom(wal, 201)).toEqual(expected)
    await wal.close()

    const again = await Wal.open({ dir, durability: 'os', segmentBytes: 2048 })
    const snap = await again.latestSnapshot()
    expect(snap).toMatchObject({ lsn: 200 })
    expect(snap!.data.toString()).toBe('state at 200')
    expect(await lsnsFrom(again, snap!.lsn + 1)).toEqual(expected)
    expect(again.lastLsn).toBe(350)
    expect(await again.append(payloadFor(351, 60))).toBe(351)
    await again.close()
    expect((await (await WalReader.open(dir)).verify()).ok).toBe(true)
  })

  it('keeps keepSnapshots older snapshots, and the segments they need', async () => {
    const fs = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os', segmentBytes: 1024, keepSnapshots: 1 })
    for (const at of [100, 200, 300]) {
      while (wal.lastLsn < at) wal.push(payloadFor(wal.lastLsn + 1, 40))
      await wal.writeSnapshot(at, Buffer.from(`s${at}`))
    }
    while (wal.lastLsn < 350) wal.push(payloadFor(wal.lastLsn + 1, 40))
    const { removedSnapshots } = await wal.compact()
    expect(removedSnapshots).toEqual(['/w/snapshot-00000000000000000100.snap'])
    expect((await wal.snapshots()).map((s) => s.lsn)).toEqual([200, 300])
    // The older kept snapshot is still usable: every record after it is still there.
    expect(wal.segments()[0].firstLsn).toBeLessThanOrEqual(201)
    expect(await lsnsFrom(wal, 201)).toEqual(Array.from({ length: 150 }, (_, i) => 201 + i))
    await wal.close()
  })

  it('a corrupt newest snapshot is set aside (loudly) and the previous one used; a reader only skips it', async () => {
    const fs = new MemoryFs()
    const logger = memoryLogger()
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', logger })
    for (let i = 1; i <= 20; i++) await wal.append(payloadFor(i))
    await wal.writeSnapshot(10, Buffer.from('ten'))
    const newest = await wal.writeSnapshot(20, Buffer.from('twenty'))
    const bytes = fs.bytes(newest.file)
    bytes[bytes.length - 2] ^= 0x40
    fs.setBytes(newest.file, bytes)

    const reader = await WalReader.open('/w', { fs })
    expect(await reader.latestSnapshot()).toMatchObject({ lsn: 10 })
    expect((await fs.readdir('/w')).includes('snapshot-00000000000000000020.snap')).toBe(true)
    const report = await reader.verify()
    expect(report.ok).toBe(false)
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'snapshot', file: newest.file })])

    const snap = await wal.latestSnapshot()
    expect(snap).toMatchObject({ lsn: 10 })
    expect(snap!.data.toString()).toBe('ten')
    expect(await fs.readdir('/w')).toContain('snapshot-00000000000000000020.snap.corrupt')
    expect(logger.entries.some((e) => e.level === 'warn' && /snapshot/.test(e.msg ?? ''))).toBe(true)
    await wal.close()
  })

  it('a directory holding only a snapshot starts the log right after it', async () => {
    const fs = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', segmentBytes: 256 })
    for (let i = 1; i <= 30; i++) await wal.append(payloadFor(i, 40))
    await wal.writeSnapshot(30, Buffer.from('all'))
    await wal.close()
    for (const s of wal.segments()) await fs.unlink(s.file)
    const again = await Wal.open({ dir: '/w', fs })
    expect(again.segments()).toEqual([expect.objectContaining({ firstLsn: 31, lastLsn: 30 })])
    expect(await again.append(payloadFor(31, 40))).toBe(31)
    await again.close()
  })

  it('overlapping compact() calls run one after the other: each file is removed once, neither call fails', async () => {
    const fs = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os', segmentBytes: 1024, keepSnapshots: 0 })
    for (const at of [100, 200]) {
      while (wal.lastLsn < at) wal.push(payloadFor(wal.lastLsn + 1, 40))
      await wal.writeSnapshot(at, Buffer.from(`s${at}`))
    }
    const [first, second] = await Promise.all([wal.compact(), wal.compact()])
    expect(first.removedSnapshots).toEqual(['/w/snapshot-00000000000000000100.snap'])
    expect(second).toEqual({ removedSegments: [], removedSnapshots: [] })
    expect((await wal.snapshots()).map((s) => s.lsn)).toEqual([200])
    await wal.close()
  })

  it('a snapshot of thousands of small parts and some large ones is written in few writes and reads back byte for byte', async () => {
    const mem = new MemoryFs()
    let snapshotWrites = 0
    const fs = overrideFs(mem, {
      async open(path, mode) {
        const fh = await mem.open(path, mode)
        if (!path.endsWith('.snap.tmp')) return fh
        return overrideHandle(fh, { write: (buf, offset, length, position) => { snapshotWrites++; return fh.write(buf, offset, length, position) } })
      },
    })
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os' })
    wal.push(Buffer.from('x'))
    const parts: Uint8Array[] = []
    for (let i = 0; i < 3000; i++) parts.push(Buffer.alloc(1 + (i % 4000), i & 0xff))
    parts.splice(1000, 0, Buffer.alloc(600_000, 7)) // large: written as it is
    parts.push(Buffer.alloc(0))
    const total = parts.reduce((n, p) => n + p.length, 0)
    await wal.writeSnapshot(1, parts)
    expect(snapshotWrites).toBeLessThanOrEqual(Math.ceil(total / (1 << 20)) + 3)
    const snap = await wal.latestSnapshot()
    expect(Buffer.compare(snap!.data, Buffer.concat(parts))).toBe(0)
    await wal.close()
  })

  it('refuses a snapshot LSN beyond the log', async () => {
    const fs = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs })
    await wal.append(Buffer.from('x'))
    await expect(wal.writeSnapshot(2, Buffer.from('no'))).rejects.toThrow(RangeError)
    await wal.close()
  })
})
