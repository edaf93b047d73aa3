/**
 * `truncateAtLsn` (what `wq repair --cut-at-lsn` uses): the log is cut before a record whose checksum is good but
 * that its reader cannot use, and everything from there (the rest of its segment, later segments, snapshots past
 * the cut) is moved aside, as a cut at corruption does.
 */
import { describe, expect, it } from 'vitest'
import { Wal } from '@wq/wal'
import { MemoryFs } from '@wq/wal/testing'

async function writeLog(fs: MemoryFs, records: number): Promise<void> {
  const wal = await Wal.open({ dir: '/w', fs, durability: 'os', segmentBytes: 512 })
  for (let i = 1; i <= records; i++) wal.push(Buffer.from(`record ${i}`))
  await wal.sync()
  await wal.writeSnapshot(Math.min(30, records), Buffer.from('a state'))
  await wal.close()
}

async function payloads(fs: MemoryFs): Promise<string[]> {
  const wal = await Wal.open({ dir: '/w', fs, durability: 'os' })
  const out: string[] = []
  await wal.replay(1, (r) => out.push(Buffer.from(r.payload).toString()))
  await wal.close()
  return out
}

describe('truncateAtLsn', () => {
  it('cuts before that record, moves the rest and the snapshots past it aside, and the log goes on from there', async () => {
    const fs = new MemoryFs()
    await writeLog(fs, 50)
    const segmentsBefore = (await fs.readdir('/w')).filter((f) => f.endsWith('.wal')).length
    expect(segmentsBefore).toBeGreaterThan(3)
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', truncateAtLsn: 20 })
    expect(wal.lastLsn).toBe(19)
    const cut = wal.recovery.cutAtCorruption!
    expect(cut.reason).toBe('cut asked for before LSN 20')
    expect(cut.movedAside.length).toBeGreaterThan(1)
    expect(await wal.snapshots()).toEqual([])
    expect(await wal.append(Buffer.from('after the cut'))).toBe(20)
    await wal.close()
    const files = await fs.readdir('/w')
    for (const name of cut.movedAside) expect(files).toContain(name)
    expect(await payloads(fs)).toEqual([...Array.from({ length: 19 }, (_, i) => `record ${i + 1}`), 'after the cut'])
  })

  it('past the end of the log, cuts nothing', async () => {
    const fs = new MemoryFs()
    await writeLog(fs, 10)
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', truncateAtLsn: 11 })
    expect([wal.lastLsn, wal.recovery.cutAtCorruption]).toEqual([10, undefined])
    expect((await wal.snapshots()).map((x) => x.lsn)).toEqual([10])
    await wal.close()
  })
})
