import { describe, expect, it, vi } from 'vitest'
import { Wal, WalPoisonedError, WalReader, type Durability } from '@wq/wal'
import { FaultyFs, MemoryFs } from '@wq/wal/testing'
import { payloadFor } from './helpers.js'

const segmentSyncs = (fs: FaultyFs) => fs.ops.filter((o) => o.op === 'fsync' && o.path.endsWith('.wal')).length

async function recordsIn(fs: MemoryFs): Promise<number> {
  const reader = await WalReader.open('/w', { fs })
  let n = 0
  await reader.replay(0, () => n++)
  return n
}

describe('background sync outside sync mode', () => {
  for (const durability of ['os', 'interval', 'buffered'] as Durability[]) {
    it(`${durability}: fdatasyncs the active segment every backgroundSyncBytes while appends go on`, async () => {
      const fs = new FaultyFs(new MemoryFs())
      const wal = await Wal.open({ dir: '/w', fs, durability, intervalMs: 60_000, bufferRecords: 1, backgroundSyncBytes: 4096 })
      const before = segmentSyncs(fs)
      for (let i = 0; i < 20; i++) await wal.append(payloadFor(i, 1000)) // about 20 KiB, written one record at a time
      await vi.waitFor(() => expect(segmentSyncs(fs) - before).toBeGreaterThanOrEqual(4))
      await wal.close()
    })
  }

  it('os: with it off, nothing fdatasyncs the segment before close', async () => {
    const fs = new FaultyFs(new MemoryFs())
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os', backgroundSyncBytes: 0 })
    const before = segmentSyncs(fs)
    for (let i = 0; i < 20; i++) await wal.append(payloadFor(i, 1000))
    expect(segmentSyncs(fs)).toBe(before)
    await wal.close()
  })

  it('os: what a background sync covered survives a power cut that drops every unsynced write', async () => {
    const mem = new MemoryFs()
    const fs = new FaultyFs(mem)
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os', backgroundSyncBytes: 4096 })
    for (let i = 0; i < 10; i++) await wal.append(payloadFor(i, 1000))
    await vi.waitFor(() => expect(segmentSyncs(fs)).toBeGreaterThan(0))
    // The sync started after the 5th write (past 4 KiB) and covers at least those records.
    expect(await recordsIn(mem.crash({ unsynced: 'drop' }))).toBeGreaterThanOrEqual(5)
    await wal.close()
  })

  it('a failed background fdatasync poisons the log: later appends are refused', async () => {
    const fs = new FaultyFs(new MemoryFs())
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os', backgroundSyncBytes: 4096 })
    fs.inject({ op: 'fsync', nth: 1, path: '.wal', code: 'EIO' })
    for (let i = 0; i < 5; i++) wal.push(payloadFor(i, 1000)) // one write of ~5 KiB, then a background sync
    await vi.waitFor(() => expect(wal.poisoned).not.toBeNull())
    expect((wal.poisoned as NodeJS.ErrnoException).code).toBe('EIO')
    await expect(wal.append(payloadFor(6, 100))).rejects.toBeInstanceOf(WalPoisonedError)
    await wal.close()
  })
})
