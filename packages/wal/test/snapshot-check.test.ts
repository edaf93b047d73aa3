// Compaction and verify check snapshots piece by piece: a running service compacts after every automatic
// snapshot, and reading the newest snapshot whole to check it cost as much memory as the snapshot itself.
// The piecewise check must still find every damage the whole-file load finds.
import { describe, expect, it } from 'vitest'
import { Wal, WalReader } from '@wq/wal'
import { MemoryFs, overrideFs, overrideHandle } from '@wq/wal/testing'
import { SnapshotStore } from '../src/snapshot-store.js'
import { memoryLogger, payloadFor } from './helpers.js'

const MiB = 1 << 20

/** A MemoryFs that records every read from a snapshot file. */
function recordingFs(): { fs: MemoryFs; wrapped: ReturnType<typeof overrideFs>; reads: number[] } {
  const fs = new MemoryFs()
  const reads: number[] = []
  const wrapped = overrideFs(fs, {
    async open(path, mode) {
      const fh = await fs.open(path, mode)
      if (!path.endsWith('.snap')) return fh
      return overrideHandle(fh, {
        read: async (buf, offset, length, position) => {
          const n = await fh.read(buf, offset, length, position)
          reads.push(n)
          return n
        },
      })
    },
  })
  return { fs, wrapped, reads }
}

/** A body of `bytes` bytes in parts, with content that depends on the position. */
function body(bytes: number): Uint8Array[] {
  const parts: Uint8Array[] = []
  for (let at = 0; at < bytes; at += 64 * 1024) {
    const part = Buffer.alloc(Math.min(64 * 1024, bytes - at))
    for (let i = 0; i < part.length; i += 97) part[i] = (at + i) & 0xff
    parts.push(part)
  }
  return parts
}

async function walWithSnapshots(fs: ReturnType<typeof overrideFs>, at: number[], bytes: number): Promise<Wal> {
  const wal = await Wal.open({ dir: '/w', fs, durability: 'os', segmentBytes: 4096, keepSnapshots: 0, logger: memoryLogger() })
  for (const lsn of at) {
    while (wal.lastLsn < lsn) wal.push(payloadFor(wal.lastLsn + 1, 100))
    await wal.writeSnapshot(lsn, body(bytes))
  }
  while (wal.lastLsn < at[at.length - 1] + 50) wal.push(payloadFor(wal.lastLsn + 1, 100))
  await wal.sync() // written, so the segment the snapshot ends in is sealed and not the active one
  return wal
}

describe('checking a snapshot without loading it', () => {
  it('compaction reads the newest snapshot in pieces of at most 1 MiB, all of it, and then compacts', async () => {
    const { wrapped, reads } = recordingFs()
    const wal = await walWithSnapshots(wrapped, [300], 5 * MiB)
    const before = wal.segments()
    reads.length = 0
    const { removedSegments } = await wal.compact()
    expect(removedSegments).toEqual(before.filter((s) => s.lastLsn <= 300).map((s) => s.file))
    expect(removedSegments.length).toBeGreaterThan(0)
    expect(Math.max(...reads)).toBeLessThanOrEqual(MiB)
    // The whole file went through the checksum, once (listing snapshots reads each one's 48-byte header too).
    const size = (await wal.snapshots())[0].bytes
    const read = reads.reduce((a, b) => a + b, 0)
    expect(read).toBeGreaterThanOrEqual(size)
    expect(read).toBeLessThan(size + 4 * 48)
    await wal.close()
  })

  it('a newest snapshot damaged past its first piece is set aside by compaction, which keeps what only it covered', async () => {
    const { fs, wrapped } = recordingFs()
    const wal = await walWithSnapshots(wrapped, [200, 400], 3 * MiB)
    const [older, newest] = await wal.snapshots()
    const bytes = fs.bytes(newest.file)
    bytes[2 * MiB + 12345] ^= 0x01
    fs.setBytes(newest.file, bytes)
    const before = wal.segments()
    const { removedSegments, removedSnapshots } = await wal.compact()
    expect(removedSnapshots).toEqual([])
    expect(removedSegments).toEqual(before.filter((s) => s.lastLsn <= 200).map((s) => s.file))
    expect(await fs.readdir('/w')).toContain('snapshot-00000000000000000400.snap.corrupt')
    expect((await wal.snapshots()).map((s) => s.file)).toEqual([older.file])
    await wal.close()
  })

  it('check() finds exactly what load() finds, for sound and damaged files alike', async () => {
    const { fs, wrapped } = recordingFs()
    const wal = await walWithSnapshots(wrapped, [100], 2 * MiB + 7)
    const [info] = await wal.snapshots()
    await wal.close()
    const sound = fs.bytes(info.file)
    const store = new SnapshotStore(fs, '/w')
    const damages: [string, (b: Buffer) => Buffer][] = [
      ['sound', (b) => b],
      ['a flipped bit in the last piece', (b) => { b[b.length - 3] ^= 0x10; return b }],
      ['a flipped bit in the header', (b) => { b[20] ^= 0x01; return b }],
      ['one byte short', (b) => b.subarray(0, b.length - 1)],
      ['one byte too many', (b) => Buffer.concat([b, Buffer.from([0])])],
      ['shorter than a header', (b) => b.subarray(0, 30)],
      ['empty', () => Buffer.alloc(0)],
    ]
    for (const [what, damage] of damages) {
      fs.setBytes(info.file, damage(Buffer.from(sound)))
      const loaded = await store.load(100)
      const checked = await store.check(100)
      if (typeof loaded === 'string') expect(checked, what).toBe(loaded)
      else {
        expect(what).toBe('sound')
        const { data: _data, ...loadedInfo } = loaded
        expect(checked).toEqual(loadedInfo)
      }
    }
  })

  it('verify reports a damaged snapshot without reading it whole', async () => {
    const { fs, wrapped, reads } = recordingFs()
    const wal = await walWithSnapshots(wrapped, [100], 3 * MiB)
    const [info] = await wal.snapshots()
    await wal.close()
    const bytes = fs.bytes(info.file)
    bytes[bytes.length - 1] ^= 0x80
    fs.setBytes(info.file, bytes)
    reads.length = 0
    const reader = await WalReader.open('/w', { fs: wrapped })
    const report = await reader.verify()
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'snapshot', file: info.file, reason: 'snapshot body checksum mismatch' })])
    expect(Math.max(...reads)).toBeLessThanOrEqual(MiB)
  })
})
