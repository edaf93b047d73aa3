/**
 * Disk measurements for `wq doctor`: how fast fdatasync really is (the cost
 * of every `sync` acknowledgement) and how fast the disk writes sequentially
 * (the ceiling for the modes that do not wait for fdatasync). Only node:fs.
 */
import { open, rm, statfs } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'

export interface FsyncMeasurement {
  /** Bytes appended before each fdatasync. */
  writeBytes: number
  samples: number
  seconds: number
  perSecond: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

export interface SequentialMeasurement {
  bytes: number
  chunkBytes: number
  seconds: number
  mbPerSecond: number
}

export interface FilesystemInfo {
  type: string
  /** RAM-backed: nothing survives a reboot. */
  volatile: boolean
}

const FS_TYPES: Record<number, string> = {
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x858458f6: 'ramfs',
  0x794c7630: 'overlayfs',
  0x6969: 'nfs',
  0x2fc12fc1: 'zfs',
  0xf2f52010: 'f2fs',
  0x65735546: 'fuse',
  0x5346544e: 'ntfs',
  0x4d44: 'vfat',
}

export async function filesystemOf(dir: string): Promise<FilesystemInfo> {
  try {
    const info = await statfs(dir)
    const type = FS_TYPES[info.type] ?? `0x${info.type.toString(16)}`
    return { type, volatile: type === 'tmpfs' || type === 'ramfs' }
  } catch {
    return { type: 'unknown', volatile: false }
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** A scratch file in `dir`, removed whatever happens. */
async function withScratchFile<T>(dir: string, fn: (path: string) => Promise<T>): Promise<T> {
  const path = join(dir, `.wq-doctor-${process.pid}-${randomBytes(4).toString('hex')}.tmp`)
  try {
    return await fn(path)
  } finally {
    await rm(path, { force: true })
  }
}

/**
 * Appends `writeBytes` and fdatasyncs, again and again, for `seconds` (or
 * `maxSamples`). Appending (not overwriting) is what a WAL does, so the file
 * size changes and fdatasync pays for that metadata too, as it would for real.
 */
export async function measureFsync(
  dir: string,
  opts: { seconds: number; writeBytes: number; maxSamples?: number; onProgress?: (fraction: number) => void },
): Promise<FsyncMeasurement> {
  return withScratchFile(dir, async (path) => {
    const file = await open(path, 'w')
    try {
      const block = randomBytes(opts.writeBytes)
      const latencies: number[] = []
      const maxSamples = opts.maxSamples ?? 100_000
      const budgetMs = opts.seconds * 1000
      const started = performance.now()
      let elapsed = 0
      while (elapsed < budgetMs && latencies.length < maxSamples) {
        const t0 = performance.now()
        await file.write(block)
        await file.datasync()
        const t1 = performance.now()
        latencies.push(t1 - t0)
        elapsed = t1 - started
        opts.onProgress?.(Math.min(1, elapsed / budgetMs))
      }
      const sorted = latencies.slice().sort((a, b) => a - b)
      const seconds = elapsed / 1000
      return {
        writeBytes: opts.writeBytes,
        samples: latencies.length,
        seconds,
        perSecond: latencies.length / seconds,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        maxMs: sorted[sorted.length - 1] ?? 0,
      }
    } finally {
      await file.close()
    }
  })
}

/** Writes `bytes` in `chunkBytes` pieces and fdatasyncs once at the end: the time includes the flush. */
export async function measureSequential(
  dir: string,
  opts: { bytes: number; chunkBytes?: number; onProgress?: (fraction: number) => void },
): Promise<SequentialMeasurement> {
  const chunkBytes = opts.chunkBytes ?? 1 << 20
  return withScratchFile(dir, async (path) => {
    const file = await open(path, 'w')
    try {
      // Random bytes so that a compressing file system cannot cheat.
      const chunk = randomBytes(chunkBytes)
      const started = performance.now()
      let written = 0
      while (written < opts.bytes) {
        const size = Math.min(chunkBytes, opts.bytes - written)
        const { bytesWritten } = await file.write(chunk, 0, size)
        written += bytesWritten
        opts.onProgress?.(written / opts.bytes)
      }
      await file.datasync()
      const seconds = (performance.now() - started) / 1000
      return { bytes: written, chunkBytes, seconds, mbPerSecond: written / 1e6 / seconds }
    } finally {
      await file.close()
    }
  })
}
