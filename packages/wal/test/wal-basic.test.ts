import { describe, expect, it } from 'vitest'
import { Wal, WalReader, WalClosedError, RecordTooLargeError, type Durability, type WalRecord } from '@wq/wal'
import { payloadFor, tempDir } from './helpers.js'

async function collect(it: AsyncIterable<WalRecord>): Promise<WalRecord[]> {
  const out: WalRecord[] = []
  for await (const r of it) out.push({ ...r, payload: Buffer.from(r.payload) })
  return out
}

describe('Wal basics', () => {
  for (const durability of ['sync', 'interval', 'os', 'buffered'] as Durability[]) {
    it(`appends, closes and reopens with the same records (${durability})`, async () => {
      const dir = await tempDir()
      const wal = await Wal.open({ dir, durability })
      expect(wal.lastLsn).toBe(0)
      const lsns = await Promise.all(Array.from({ length: 100 }, (_, i) => wal.append(payloadFor(i), (i % 255) + 1)))
      expect(lsns).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
      await wal.close()
      const again = await Wal.open({ dir, durability })
      expect(again.lastLsn).toBe(100)
      expect(again.recovery.records).toBe(100)
      const recs = await collect(again.records())
      expect(recs.map((r) => r.lsn)).toEqual(lsns)
      recs.forEach((r, i) => {
        expect(r.type).toBe((i % 255) + 1)
        expect(Buffer.compare(Buffer.from(r.payload), payloadFor(i))).toBe(0)
      })
      const next = await again.append(Buffer.from('x'))
      expect(next).toBe(101)
      await again.close()
    })
  }

  it('replay from an LSN visits exactly the later records', async () => {
    const dir = await tempDir()
    const wal = await Wal.open({ dir, durability: 'os', segmentBytes: 4096 })
    for (let i = 0; i < 500; i++) wal.push(payloadFor(i, 40))
    await wal.sync()
    expect(wal.segments().length).toBeGreaterThan(3)
    const seen: number[] = []
    const n = await wal.replay(123, (r) => seen.push(r.lsn))
    expect(n).toBe(378)
    expect(seen[0]).toBe(123)
    expect(seen[seen.length - 1]).toBe(500)
    await wal.close()
    const reader = await WalReader.open(dir)
    const fromReader = await collect(reader.records(400))
    expect(fromReader.map((r) => r.lsn)).toEqual(Array.from({ length: 101 }, (_, i) => 400 + i))
    expect((await reader.verify()).ok).toBe(true)
  })

  it('rejects bad records and appends after close', async () => {
    const dir = await tempDir()
    const wal = await Wal.open({ dir, maxRecordBytes: 100 })
    await expect(wal.append(Buffer.alloc(101))).rejects.toBeInstanceOf(RecordTooLargeError)
    expect(() => wal.push(Buffer.alloc(1), 0)).toThrow(RangeError)
    await wal.close()
    await expect(wal.append(Buffer.alloc(1))).rejects.toBeInstanceOf(WalClosedError)
  })
})
