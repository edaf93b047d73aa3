import { describe, expect, it } from 'vitest'
import { truncate } from 'node:fs/promises'
import { Wal, type WalRecord } from '@wq/wal'
import { MemoryFs } from '@wq/wal/testing'
import { frameSize } from '../src/frame.js'
import { SEGMENT_HEADER_BYTES } from '../src/segment-header.js'
import { payloadFor, tempDir } from './helpers.js'

const SIZES = [0, 1, 7, 8, 13, 40, 100, 3, 250, 17]

/** A log on MemoryFs with two sealed segments and a last one holding SIZES.length records. */
async function buildLog(): Promise<{ fs: MemoryFs; last: string; lastFirstLsn: number; total: number }> {
  const fs = new MemoryFs()
  const wal = await Wal.open({ dir: '/w', fs, segmentBytes: 1024, durability: 'sync' })
  // Fill two segments, then start a third.
  let i = 0
  while (wal.segments().length < 3) await wal.append(payloadFor(i++, 60))
  const lastFirstLsn = wal.segments()[2].firstLsn
  for (const s of SIZES.slice(1)) await wal.append(payloadFor(i++, s))
  await wal.close()
  expect(wal.segments().length).toBe(3)
  return { fs, last: wal.segments()[2].file, lastFirstLsn, total: i }
}

async function readAll(wal: Wal): Promise<WalRecord[]> {
  const out: WalRecord[] = []
  await wal.replay(1, (r) => out.push({ ...r, payload: Buffer.from(r.payload) }))
  return out
}

describe('truncation at every byte offset of the last segment', () => {
  it('reopens to exactly the whole frames before the cut (MemoryFs, every offset)', async () => {
    const { fs, last, lastFirstLsn, total } = await buildLog()
    const full = fs.bytes(last)
    // Frame end offsets in the last segment.
    const ends: number[] = []
    let off = SEGMENT_HEADER_BYTES
    for (let lsn = lastFirstLsn; lsn <= total; lsn++) {
      off += frameSize(full.readUInt32LE(off + 4))
      ends.push(off)
    }
    expect(off).toBe(full.length)
    for (let cut = 0; cut <= full.length; cut++) {
      const image = fs.crash({ unsynced: 'keep' })
      image.setBytes(last, full.subarray(0, cut))
      if (cut < SEGMENT_HEADER_BYTES) {
        // A segment without a whole header can only be damage (it was published with its header fsynced).
        await expect(Wal.open({ dir: '/w', fs: image })).rejects.toMatchObject({ code: 'WAL_CORRUPT', offset: 0 })
        continue
      }
      const whole = ends.filter((e) => e <= cut).length
      const wal = await Wal.open({ dir: '/w', fs: image })
      const expectedLast = lastFirstLsn - 1 + whole
      expect(wal.lastLsn, `cut at ${cut}`).toBe(expectedLast)
      const wholeEnd = whole === 0 ? SEGMENT_HEADER_BYTES : ends[whole - 1]
      // The torn bytes are cut either way. When they happen to be all zeros (one byte of the next frame's
      // checksum, which the segment's random salt makes zero now and then), they read as zero-filled space
      // and are reported as such, not as a torn frame.
      const torn = full.subarray(wholeEnd, cut)
      const allZero = torn.length > 0 && torn.every((b) => b === 0)
      if (cut > wholeEnd && !allZero) expect(wal.recovery.truncatedTail).toMatchObject({ file: last, offset: wholeEnd, droppedBytes: cut - wholeEnd })
      else expect(wal.recovery.truncatedTail).toBeUndefined()
      if (allZero) expect(wal.recovery.droppedZeros).toMatchObject({ file: last, offset: wholeEnd, bytes: cut - wholeEnd })
      const recs = await readAll(wal)
      expect(recs.length).toBe(expectedLast)
      expect(recs.every((r, i) => r.lsn === i + 1)).toBe(true)
      // The log continues right after the last whole frame (checked on a sample of cuts to keep the test quick).
      if (cut % 7 !== 0) {
        await wal.close()
        continue
      }
      expect(await wal.append(Buffer.from('next'))).toBe(expectedLast + 1)
      await wal.close()
      const again = await Wal.open({ dir: '/w', fs: image })
      expect(again.lastLsn).toBe(expectedLast + 1)
      expect(again.recovery.truncatedTail).toBeUndefined()
      await again.close()
    }
  })

  it('does the same on real files (every 11th offset, plus each frame boundary ± 1)', async () => {
    const dir = await tempDir()
    const wal = await Wal.open({ dir, durability: 'os' })
    for (let i = 0; i < 12; i++) wal.push(payloadFor(i, SIZES[i % SIZES.length]))
    await wal.close()
    const file = wal.segments()[0].file
    const { readFile, writeFile } = await import('node:fs/promises')
    const full = await readFile(file)
    const ends: number[] = []
    for (let off = SEGMENT_HEADER_BYTES; off < full.length; ) ends.push((off += frameSize(full.readUInt32LE(off + 4))))
    const cuts = new Set<number>()
    for (let c = SEGMENT_HEADER_BYTES; c <= full.length; c += 11) cuts.add(c)
    for (const e of ends) [e - 1, e, e + 1].forEach((c) => c <= full.length && cuts.add(c))
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      await writeFile(file, full)
      await truncate(file, cut)
      const reopened = await Wal.open({ dir })
      expect(reopened.lastLsn, `cut at ${cut}`).toBe(ends.filter((e) => e <= cut).length)
      await reopened.close()
    }
  })
})
