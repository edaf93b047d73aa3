// `preallocate`: the active segment is zero-filled ahead of the writer (see src/zero-fill.ts). What must hold:
// records never lose to a late fill, sealed and closed segments end at their last frame, recovery drops a zero
// tail without calling it torn, and a failing fill poisons the log only when its fdatasync failed.
import { describe, expect, it } from 'vitest'
import { Wal, WalReader, type FileHandle, type FileSystem } from '@wq/wal'
import { MemoryFs, fsError, overrideFs, overrideHandle } from '@wq/wal/testing'
import { memoryLogger, payloadFor } from './helpers.js'

const isZeros = (buf: Uint8Array, offset: number, length: number): boolean => {
  for (let i = offset; i < offset + length; i++) if (buf[i] !== 0) return false
  return true
}

function segmentFiles(mem: MemoryFs): string[] {
  return mem.list().filter((f) => f.endsWith('.wal'))
}

async function readAll(fs: FileSystem, dir: string): Promise<Buffer[]> {
  const reader = await WalReader.open(dir, { fs })
  const out: Buffer[] = []
  for await (const r of reader.records()) out.push(Buffer.from(r.payload))
  return out
}

/** `inner` with every segment handle's calls passed through `wrap`. */
function wrapSegments(inner: FileSystem, wrap: (fh: FileHandle) => Partial<Omit<FileHandle, 'path'>>): FileSystem {
  return overrideFs(inner, {
    open: async (p, mode) => {
      const fh = await inner.open(p, mode)
      return p.endsWith('.wal') && mode !== 'read' ? overrideHandle(fh, wrap(fh)) : fh
    },
  })
}

describe('zero-filling ahead of the writer', () => {
  it('fills the active segment past its records in sync mode, and close cuts the zeros off', async () => {
    const mem = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs: mem, durability: 'sync', segmentBytes: 1 << 20 })
    for (let i = 0; i < 50; i++) await wal.append(payloadFor(i, 100))
    const end = wal.segments()[0].bytes
    const live = mem.bytes(segmentFiles(mem)[0])
    expect(live.length).toBe(1 << 20)
    expect(isZeros(live, end, live.length - end)).toBe(true)
    await wal.close()
    expect(mem.bytes(segmentFiles(mem)[0]).length).toBe(end)
    expect(await readAll(mem, '/w')).toEqual(Array.from({ length: 50 }, (_, i) => payloadFor(i, 100)))
  })

  it('leaves no zeros in a sealed segment: each ends at its last frame, only the active one is filled', async () => {
    const mem = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs: mem, durability: 'sync', segmentBytes: 4096 })
    await Promise.all(Array.from({ length: 200 }, (_, i) => wal.append(payloadFor(i, 100))))
    await wal.sync()
    const segs = wal.segments()
    expect(segs.length).toBeGreaterThan(3)
    const files = segmentFiles(mem)
    for (let i = 0; i < segs.length - 1; i++) expect(mem.bytes(files[i]).length, files[i]).toBe(segs[i].bytes)
    const active = mem.bytes(files[files.length - 1])
    expect(active.length).toBe(4096)
    await wal.close()
    expect(await readAll(mem, '/w')).toHaveLength(200)
  })

  it('stops filling while commits are large (bytes would be written twice for little gain), and fills again once they are small', async () => {
    const mem = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs: mem, durability: 'sync', segmentBytes: 32 << 20 })
    const file = () => mem.bytes(segmentFiles(mem)[0]).length
    // 64 KiB per fdatasync: after a dozen the moving average is past 48 KiB and no step starts.
    for (let i = 0; i < 200; i++) await wal.append(payloadFor(i, 64 * 1024))
    expect(file(), 'no zeros past 12.5 MiB of records').toBe(wal.segments()[0].bytes)
    // 100 B per fdatasync: the average falls below the mark again and the space ahead is filled.
    for (let i = 0; i < 100; i++) await wal.append(payloadFor(i, 100))
    expect(file()).toBeGreaterThan(wal.segments()[0].bytes)
    await wal.close()
    expect(await readAll(mem, '/w')).toHaveLength(300)
  })

  it('is off outside sync mode unless asked for, and off in sync mode when turned off', async () => {
    for (const opts of [{ durability: 'os' as const }, { durability: 'sync' as const, preallocate: false }]) {
      const mem = new MemoryFs()
      const wal = await Wal.open({ dir: '/w', fs: mem, segmentBytes: 1 << 20, ...opts })
      for (let i = 0; i < 20; i++) await wal.append(payloadFor(i, 100))
      await wal.sync()
      expect(mem.bytes(segmentFiles(mem)[0]).length, JSON.stringify(opts)).toBe(wal.segments()[0].bytes)
      await wal.close()
    }
    const mem = new MemoryFs()
    const wal = await Wal.open({ dir: '/w', fs: mem, durability: 'os', preallocate: true, segmentBytes: 1 << 20 })
    for (let i = 0; i < 20; i++) await wal.append(payloadFor(i, 100))
    await wal.sync()
    expect(mem.bytes(segmentFiles(mem)[0]).length).toBe(1 << 20)
    await wal.close()
  })

  it('after a power cut, recovery cuts the zeros off without calling them a torn tail, and every acknowledged record is there', async () => {
    for (const unsynced of ['keep', 'drop'] as const) {
      const mem = new MemoryFs()
      const wal = await Wal.open({ dir: '/w', fs: mem, durability: 'sync', segmentBytes: 1 << 20 })
      for (let i = 0; i < 30; i++) await wal.append(payloadFor(i, 100))
      const image = mem.crash({ unsynced })
      const file = segmentFiles(image)[0]
      expect(image.bytes(file).length).toBe(1 << 20)

      const verified = await (await WalReader.open('/w', { fs: image })).verify()
      expect(verified, 'verify finds nothing wrong with a zero tail').toMatchObject({ ok: true, problems: [] })

      const logger = memoryLogger()
      const reopened = await Wal.open({ dir: '/w', fs: image, durability: 'sync', logger })
      expect(reopened.recovery.truncatedTail).toBeUndefined()
      expect(reopened.recovery.droppedZeros).toMatchObject({ file, bytes: (1 << 20) - reopened.segments()[0].bytes })
      expect(image.list().filter((f) => f.includes('.broken'))).toEqual([])
      expect(logger.entries.filter((e) => e.level !== 'info')).toEqual([])
      expect(image.bytes(file).length).toBe(reopened.segments()[0].bytes)
      await reopened.close()
      expect(await readAll(image, '/w')).toEqual(Array.from({ length: 30 }, (_, i) => payloadFor(i, 100)))
      await wal.close()
    }
  })

  it('a record whose write would reach into a fill still in flight waits for it, so the zeros never land on it', async () => {
    const mem = new MemoryFs()
    let releaseFill: () => void = () => {}
    const fillHeld = new Promise<void>((resolve) => (releaseFill = resolve))
    let fillsStarted = 0
    const dataWritesWhileFillHeld: number[] = []
    let fillDone = false
    const fs = wrapSegments(mem, (fh) => ({
      write: async (buf, offset, length, position) => {
        if (length >= 4096 && isZeros(buf, offset, length)) {
          if (fillsStarted++ === 0) {
            await fillHeld
            fillDone = true
          }
        } else if (fillsStarted > 0 && !fillDone) dataWritesWhileFillHeld.push(position)
        return fh.write(buf, offset, length, position)
      },
    }))
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', segmentBytes: 1 << 20 })
    await wal.append(payloadFor(0, 100))
    expect(fillsStarted).toBe(1)
    const second = wal.append(payloadFor(1, 100))
    // Let the writer run as far as it can while the fill is held.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(dataWritesWhileFillHeld).toEqual([])
    releaseFill()
    await second
    await wal.close()
    expect(await readAll(mem, '/w')).toEqual([payloadFor(0, 100), payloadFor(1, 100)])
  })

  it('a fill whose fdatasync fails poisons the log: the kernel may have dropped pages of records written before it', async () => {
    const mem = new MemoryFs()
    let armed = false
    let failedFillSync = false
    const fs = wrapSegments(mem, (fh) => ({
      datasync: async () => {
        // Only the fill's own fdatasync fails (a commit's would poison the log anyway, proving nothing here).
        if (armed && !failedFillSync && /ZeroFill/.test(new Error().stack ?? '')) {
          failedFillSync = true
          throw fsError('EIO', 'fdatasync', fh.path)
        }
        return fh.datasync()
      },
    }))
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', segmentBytes: 1 << 20, logger: memoryLogger() })
    await expect(wal.append(payloadFor(0, 100))).resolves.toBe(1)
    armed = true
    let rejected: unknown = null
    for (let i = 1; i < 50 && rejected === null; i++) await wal.append(payloadFor(i, 100)).catch((err: unknown) => (rejected = err))
    expect(failedFillSync).toBe(true)
    expect(rejected).toMatchObject({ code: 'EIO' })
    expect(wal.poisoned).toMatchObject({ code: 'EIO' })
    await expect(wal.append(payloadFor(99, 100))).rejects.toThrow(/poisoned/)
    await wal.close()
  })

  it('a fill that cannot write (full disk) only stops filling: appends go on, nothing is poisoned', async () => {
    const mem = new MemoryFs()
    const fs = wrapSegments(mem, (fh) => ({
      write: async (buf, offset, length, position) => {
        if (length >= 4096 && isZeros(buf, offset, length)) throw fsError('ENOSPC', 'write', fh.path)
        return fh.write(buf, offset, length, position)
      },
    }))
    const logger = memoryLogger()
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', segmentBytes: 1 << 20, logger })
    for (let i = 0; i < 20; i++) await wal.append(payloadFor(i, 100))
    expect(wal.poisoned).toBeNull()
    expect(logger.entries.filter((e) => e.level === 'warn').map((e) => e.msg)).toEqual(['WAL could not zero-fill ahead; appending without it'])
    await wal.close()
    expect(mem.bytes(segmentFiles(mem)[0]).length).toBe(wal.segments()[0].bytes)
    expect(await readAll(mem, '/w')).toHaveLength(20)
  })

  it('a failed record write is cut back with the zeros past it, and later appends follow the last good record', async () => {
    const mem = new MemoryFs()
    let failNextDataWrite = false
    const fs = wrapSegments(mem, (fh) => ({
      write: async (buf, offset, length, position) => {
        if (failNextDataWrite && !isZeros(buf, offset, length)) {
          failNextDataWrite = false
          throw fsError('ENOSPC', 'write', fh.path)
        }
        return fh.write(buf, offset, length, position)
      },
    }))
    const wal = await Wal.open({ dir: '/w', fs, durability: 'sync', segmentBytes: 1 << 20, logger: memoryLogger() })
    for (let i = 0; i < 5; i++) await wal.append(payloadFor(i, 100))
    failNextDataWrite = true
    await expect(wal.append(payloadFor(99, 100))).rejects.toThrow(/ENOSPC/)
    for (let i = 5; i < 10; i++) await wal.append(payloadFor(i, 100))
    await wal.close()
    expect(mem.bytes(segmentFiles(mem)[0]).length).toBe(wal.segments()[0].bytes)
    expect(await readAll(mem, '/w')).toEqual(Array.from({ length: 10 }, (_, i) => payloadFor(i, 100)))
  })
})
