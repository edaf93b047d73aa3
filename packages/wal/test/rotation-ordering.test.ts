import { describe, expect, it, vi, afterEach } from 'vitest'
import path from 'node:path'
import { Wal, WalReader } from '@wq/wal'
import { FaultyFs, MemoryFs } from '@wq/wal/testing'
import { frameSize } from '../src/frame.js'
import { SEGMENT_HEADER_BYTES, decodeSegmentHeader } from '../src/segment-header.js'
import { memoryLogger, payloadFor, tempDir } from './helpers.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('rotation', () => {
  it('rotates exactly when the next frame would pass segmentBytes; segments are contiguous and named by first LSN', async () => {
    const fs = new MemoryFs()
    const per = frameSize(40) // 64
    const segmentBytes = SEGMENT_HEADER_BYTES + 3 * per // room for exactly 3 frames
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', segmentBytes })
    for (let i = 0; i < 10; i++) await wal.append(payloadFor(i, 40))
    const segs = wal.segments()
    expect(segs.map((s) => [s.firstLsn, s.lastLsn])).toEqual([[1, 3], [4, 6], [7, 9], [10, 10]])
    expect(segs.map((s) => path.basename(s.file))).toEqual([
      '00000000000000000001-00000001.wal',
      '00000000000000000004-00000002.wal',
      '00000000000000000007-00000003.wal',
      '00000000000000000010-00000004.wal',
    ])
    expect(segs.slice(0, 3).every((s) => s.bytes === segmentBytes)).toBe(true)
    for (let i = 1; i < segs.length; i++) {
      const h = decodeSegmentHeader(fs.bytes(segs[i].file))
      expect(h).toMatchObject({ firstLsn: segs[i].firstLsn, prevLastLsn: segs[i - 1].lastLsn, segmentId: i + 1 })
    }
    // A record bigger than a whole segment still gets written (alone in its segment).
    expect(await wal.append(Buffer.alloc(1000, 7))).toBe(11)
    await wal.close()
  })

  it('reopening after rotation continues in the last segment with the next LSN', async () => {
    const dir = await tempDir()
    const wal = await Wal.open({ dir, durability: 'os', segmentBytes: 1024 })
    for (let i = 0; i < 100; i++) wal.push(payloadFor(i, 50))
    await wal.close()
    const n = wal.segments().length
    expect(n).toBeGreaterThan(5)
    const again = await Wal.open({ dir, durability: 'os', segmentBytes: 1024 })
    expect(again.segments().length).toBe(n)
    expect(again.recovery).toMatchObject({ segments: n, records: 100, lastLsn: 100 })
    for (let i = 100; i < 150; i++) again.push(payloadFor(i, 50))
    await again.close()
    const reader = await WalReader.open(dir)
    const seen: number[] = []
    await reader.replay(1, (r) => {
      expect(r.payload.length).toBe(50)
      expect(Buffer.from(r.payload).readUInt32LE(0)).toBe(r.lsn - 1)
      seen.push(r.lsn)
    })
    expect(seen).toEqual(Array.from({ length: 150 }, (_, i) => i + 1))
    const segs = reader.segments()
    for (let i = 1; i < segs.length; i++) expect(segs[i].firstLsn).toBe(segs[i - 1].lastLsn + 1)
  })

  it('removes stray temp files and warns about unknown files on open', async () => {
    const fs = new MemoryFs()
    await fs.mkdir('/w')
    for (const name of ['00000000000000000001-00000001.wal.tmp', 'snapshot-00000000000000000005.snap.tmp', 'notes.txt']) await (await fs.open(`/w/${name}`, 'truncate')).close()
    const logger = memoryLogger()
    const wal = await Wal.open({ dir: '/w', fs, logger })
    expect(wal.recovery.removedTempFiles.sort()).toEqual(['00000000000000000001-00000001.wal.tmp', 'snapshot-00000000000000000005.snap.tmp'])
    expect(wal.recovery.unknownFiles).toEqual(['notes.txt'])
    expect(logger.entries.some((e) => e.level === 'warn' && JSON.stringify(e.obj).includes('notes.txt'))).toBe(true)
    expect((await fs.readdir('/w')).filter((n) => n.endsWith('.tmp'))).toEqual([])
    await wal.close()
  })
})

describe('ordering and group commit', () => {
  it('concurrent appends resolve in LSN order with contiguous LSNs', async () => {
    const fs = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', segmentBytes: 4096 })
    const resolved: number[] = []
    const producers = Array.from({ length: 32 }, async (_, p) => {
      for (let k = 0; k < 20; k++) resolved.push(await wal.append(payloadFor(p * 1000 + k, 10 + k)))
    })
    const durableOrder: number[] = []
    const watchers = [5, 50, 300, 640].map((lsn) => new Promise<void>((r) => setImmediate(r)).then(() => wal.durable(lsn)).then(() => durableOrder.push(lsn)))
    await Promise.all([...producers, ...watchers])
    expect(resolved).toEqual(Array.from({ length: 640 }, (_, i) => i + 1))
    expect(durableOrder).toEqual([5, 50, 300, 640])
    await wal.close()
  })

  it('group commit issues far fewer fsyncs than appends (counted)', async () => {
    const fs = new FaultyFs(new MemoryFs())
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync' })
    const before = fs.count('fsync')
    await Promise.all(Array.from({ length: 64 }, async (_, p) => {
      for (let k = 0; k < 16; k++) await wal.append(payloadFor(p * 100 + k, 64))
    }))
    const fsyncs = fs.count('fsync') - before
    const writes = fs.ops.filter((o) => o.op === 'write' && o.path.endsWith('.wal')).length
    expect(wal.lastLsn).toBe(1024)
    expect(fsyncs).toBeGreaterThanOrEqual(16)
    expect(fsyncs).toBeLessThanOrEqual(1024 / 32)
    expect(writes).toBeLessThanOrEqual(1024 / 32)
    await wal.close()
  })

  it('push() returns LSNs at once; durable() waits for them', async () => {
    const fs = new FaultyFs(new MemoryFs())
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync' })
    const lsns = Array.from({ length: 100 }, (_, i) => wal.push(payloadFor(i)))
    expect(lsns[99]).toBe(100)
    expect(wal.durableLsn).toBe(0)
    await wal.durable(100)
    expect(wal.durableLsn).toBe(100)
    await expect(wal.durable(101)).rejects.toThrow(RangeError)
    await wal.close()
  })
})

describe('durability modes', () => {
  it('os: written at once, never fsynced by appends', async () => {
    const fs = new FaultyFs(new MemoryFs())
    const wal = await Wal.open({ dir: '/w', fs, durability: 'os' })
    const before = fs.count('fsync')
    for (let i = 0; i < 50; i++) await wal.append(payloadFor(i))
    expect(fs.count('fsync')).toBe(before)
    expect(wal.durableLsn).toBe(50)
    await wal.sync()
    expect(fs.count('fsync')).toBe(before + 1)
    await wal.close()
  })

  it('interval: written at once, fdatasync every intervalMs', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const fs = new FaultyFs(new MemoryFs())
    const wal = await Wal.open({ dir: '/w', fs, durability: 'interval', intervalMs: 200 })
    const before = fs.count('fsync')
    await wal.append(payloadFor(1))
    expect(fs.count('fsync')).toBe(before)
    await vi.advanceTimersByTimeAsync(200)
    await wal.sync() // returns once the interval's sync is done (nothing newer to sync)
    expect(fs.count('fsync')).toBe(before + 1)
    await vi.advanceTimersByTimeAsync(1000) // nothing new: no more fsyncs
    expect(fs.count('fsync')).toBe(before + 1)
    await wal.close()
  })

  it('buffered: acknowledged on entering the buffer, written at bufferRecords / bufferBytes / flushMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const fs = new FaultyFs(new MemoryFs())
    const wal = await Wal.open({ dir: '/w', fs, durability: 'buffered', bufferRecords: 10, bufferBytes: 1000, flushMs: 50 })
    const writes = () => fs.ops.filter((o) => o.op === 'write' && o.path.endsWith('.wal')).length
    for (let i = 0; i < 9; i++) expect(await wal.append(payloadFor(i))).toBe(i + 1)
    await Promise.resolve()
    expect(writes()).toBe(0)
    wal.push(payloadFor(9)) // 10th record: flush
    await vi.waitFor(() => expect(writes()).toBe(1))
    wal.push(Buffer.alloc(1200)) // past bufferBytes: flush
    await vi.waitFor(() => expect(writes()).toBe(2))
    wal.push(payloadFor(11))
    await vi.advanceTimersByTimeAsync(49)
    expect(writes()).toBe(2)
    await vi.advanceTimersByTimeAsync(1)
    await vi.waitFor(() => expect(writes()).toBe(3))
    await wal.close()
  })
})
