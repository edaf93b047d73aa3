import { describe, expect, it } from 'vitest'
import { Wal, WalReader, WalCorruptionError } from '@wq/wal'
import { MemoryFs } from '@wq/wal/testing'
import { frameSize, FRAME_HEADER_BYTES } from '../src/frame.js'
import { SEGMENT_HEADER_BYTES } from '../src/segment-header.js'
import { classifyBadFrame } from '../src/tail-classifier.js'
import { memoryLogger, payloadFor } from './helpers.js'

/** Frame start offsets (and sizes) in a segment image. */
function frames(buf: Buffer): { off: number; size: number; len: number }[] {
  const out = []
  for (let off = SEGMENT_HEADER_BYTES; off < buf.length; ) {
    const len = buf.readUInt32LE(off + 4)
    const size = frameSize(len)
    out.push({ off, size, len })
    off += size
  }
  return out
}

/** Two sealed segments and a last one, in sync mode, records of `size` bytes. */
async function buildLog(size: number, segmentBytes: number, records: number): Promise<{ fs: MemoryFs; files: string[] }> {
  const fs = new MemoryFs()
  const wal = await Wal.open({ dir: '/w', fs, segmentBytes, durability: 'sync' })
  for (let i = 0; i < records; i++) await wal.append(payloadFor(i, size))
  await wal.close()
  return { fs, files: wal.segments().map((s) => s.file) }
}

describe('corruption is reported with file and offset', () => {
  it('a zeroed 512-byte sector inside a record of a sealed segment', async () => {
    const { fs, files } = await buildLog(1500, 8192, 12)
    expect(files.length).toBeGreaterThanOrEqual(2)
    const sealed = files[0]
    const buf = fs.bytes(sealed)
    const target = frames(buf)[2]
    const sectorStart = Math.ceil((target.off + FRAME_HEADER_BYTES) / 512) * 512
    expect(sectorStart + 512).toBeLessThanOrEqual(target.off + target.size)
    const image = fs.crash({ unsynced: 'keep' })
    const damaged = Buffer.from(buf)
    damaged.fill(0, sectorStart, sectorStart + 512)
    image.setBytes(sealed, damaged)
    const err = await Wal.open({ dir: '/w', fs: image }).catch((e) => e)
    expect(err).toBeInstanceOf(WalCorruptionError)
    expect(err).toMatchObject({ file: sealed, offset: target.off, code: 'WAL_CORRUPT' })
    const report = await (await WalReader.open('/w', { fs: image })).verify()
    expect(report.ok).toBe(false)
    expect(report.problems).toEqual([expect.objectContaining({ file: sealed, offset: target.off, kind: 'corruption' })])
  })

  it('a zeroed sector that starts at a frame boundary of a sealed segment (reads as a zero type)', async () => {
    const { fs, files } = await buildLog(1000, 8192, 12)
    const buf = Buffer.from(fs.bytes(files[0]))
    const target = frames(buf)[1]
    buf.fill(0, target.off, target.off + 512)
    const image = fs.crash({ unsynced: 'keep' })
    image.setBytes(files[0], buf)
    await expect(Wal.open({ dir: '/w', fs: image })).rejects.toMatchObject({ file: files[0], offset: target.off })
  })

  it('a single flipped bit anywhere in any record of a sealed segment (every byte, rotating bit)', async () => {
    const { fs, files } = await buildLog(37, 1024, 40)
    expect(files.length).toBeGreaterThanOrEqual(3)
    const sealed = files[1]
    const buf = fs.bytes(sealed)
    const base = fs.crash({ unsynced: 'keep' })
    for (const f of frames(buf)) {
      for (let p = f.off; p < f.off + f.size; p++) {
        const damaged = Buffer.from(buf)
        damaged[p] ^= 1 << (p % 8)
        base.setBytes(sealed, damaged)
        const err = await Wal.open({ dir: '/w', fs: base }).catch((e) => e)
        expect(err, `flip at ${p}`).toBeInstanceOf(WalCorruptionError)
        expect(err.file).toBe(sealed)
        expect(err.offset, `flip at ${p}`).toBe(f.off)
      }
    }
  })

  it('a damaged segment header is corruption at offset 0', async () => {
    const { fs, files } = await buildLog(37, 1024, 40)
    const buf = Buffer.from(fs.bytes(files[1]))
    buf[20] ^= 0x10
    const image = fs.crash({ unsynced: 'keep' })
    image.setBytes(files[1], buf)
    await expect(Wal.open({ dir: '/w', fs: image })).rejects.toMatchObject({ file: files[1], offset: 0 })
  })

  it('a missing middle segment is a gap', async () => {
    const { fs, files } = await buildLog(37, 1024, 60)
    const image = fs.crash({ unsynced: 'keep' })
    await image.unlink(files[1])
    await expect(Wal.open({ dir: '/w', fs: image })).rejects.toMatchObject({ file: files[2], offset: 0, reason: expect.stringContaining('gap') })
  })

  it('in the last segment, a bad frame followed by a frame written after an fsync is corruption', async () => {
    const { fs, files } = await buildLog(37, 1 << 20, 10)
    const last = files[files.length - 1]
    const buf = Buffer.from(fs.bytes(last))
    const f = frames(buf)[4]
    buf[f.off + 30] ^= 0xff
    const image = fs.crash({ unsynced: 'keep' })
    image.setBytes(last, buf)
    await expect(Wal.open({ dir: '/w', fs: image })).rejects.toMatchObject({ file: last, offset: f.off })
    const reader = await WalReader.open('/w', { fs: image })
    expect((await reader.verify()).problems).toEqual([expect.objectContaining({ offset: f.off, kind: 'corruption' })])
  })

  it('in the last segment, bad bytes in one unsynced write are a torn tail even if later frames look valid', async () => {
    const fs = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os' })
    for (let i = 0; i < 10; i++) wal.push(payloadFor(i, 37)) // one write, never fsynced
    await wal.close() // close fsyncs: take the image from before it instead
    const buf = Buffer.from(fs.bytes(wal.segments()[0].file))
    const f = frames(buf)[4]
    buf[f.off + 30] ^= 0xff
    const image = fs.crash({ unsynced: 'keep' })
    image.setBytes(wal.segments()[0].file, buf)
    // close() fsynced, but these frames carry no "synced before" flag: nothing after frame 4 proves it was durable.
    const reopened = await Wal.open({ dir: '/w', fs: image, logger: memoryLogger() })
    expect(reopened.lastLsn).toBe(4)
    expect(reopened.recovery.truncatedTail).toMatchObject({ offset: f.off })
    await reopened.close()
  })

  it('truncateAtCorruption cuts the log at the bad frame and moves the rest aside', async () => {
    const { fs, files } = await buildLog(37, 1024, 60)
    const buf = Buffer.from(fs.bytes(files[1]))
    const f = frames(buf)[3]
    buf[f.off + 27] ^= 4
    const image = fs.crash({ unsynced: 'keep' })
    image.setBytes(files[1], buf)
    const logger = memoryLogger()
    const wal = await Wal.open({ dir: '/w', fs: image, truncateAtCorruption: true, logger })
    const firstLsnOfSeg1 = (await WalReader.open('/w', { fs })).segments()[1].firstLsn
    expect(wal.lastLsn).toBe(firstLsnOfSeg1 + 2)
    expect(wal.recovery.cutAtCorruption).toMatchObject({ file: files[1], offset: f.off })
    expect(wal.recovery.cutAtCorruption!.movedAside.length).toBe(files.length - 1)
    expect(logger.entries.some((e) => e.level === 'error')).toBe(true)
    expect(await wal.append(Buffer.from('after the cut'))).toBe(firstLsnOfSeg1 + 3)
    await wal.close()
    const again = await Wal.open({ dir: '/w', fs: image })
    expect(again.lastLsn).toBe(firstLsnOfSeg1 + 3)
    expect((await (await WalReader.open('/w', { fs: image })).verify()).ok).toBe(true)
    await again.close()
  })
})

describe('torn tail vs corruption decision table', () => {
  it('maps every combination of evidence to exactly one verdict', () => {
    const table = [
      { sealed: true, laterSyncedFrame: true, verdict: 'corruption' },
      { sealed: true, laterSyncedFrame: false, verdict: 'corruption' },
      { sealed: false, laterSyncedFrame: true, verdict: 'corruption' },
      { sealed: false, laterSyncedFrame: false, verdict: 'torn-tail' },
    ] as const
    for (const row of table) expect(classifyBadFrame(row)).toBe(row.verdict)
  })
})
