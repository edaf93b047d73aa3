/**
 * The disk's own limits, measured in the directory the queues write to, so a
 * durable queue's figure can be read as a fraction of what the hardware allows:
 * a queue that fsyncs per job cannot beat the fdatasync rate, and no queue can
 * write payload faster than sequential MB/s.
 *
 * The sequential rate is what writing new data costs, page cache included.
 * Rewriting the same pages while they are still cached is measured beside it:
 * when the two differ tenfold, taking fresh pages into the page cache is the
 * limit, not the device (so on the VM these figures were taken on).
 */
import { closeSync, fdatasyncSync, openSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { DiskRequest, DiskResult } from './measurement.js'

const BLOCK = 4096
const CHUNK = 1 << 20

function fsyncRate(path: string, seconds: number, append: boolean): number {
  const fd = openSync(path, 'w')
  const block = Buffer.alloc(BLOCK, 0x5a)
  try {
    if (!append) {
      writeSync(fd, block, 0, BLOCK, 0)
      fdatasyncSync(fd)
    }
    let count = 0
    const started = performance.now()
    const until = started + seconds * 1000
    while (performance.now() < until) {
      if (append) writeSync(fd, block)
      else writeSync(fd, block, 0, BLOCK, 0)
      fdatasyncSync(fd)
      count++
    }
    return count / ((performance.now() - started) / 1000)
  } finally {
    closeSync(fd)
    unlinkSync(path)
  }
}

function sequentialWrite(path: string, bytes: number): { sequential: number; cachedRewrite: number } {
  const fd = openSync(path, 'w')
  const chunk = Buffer.alloc(CHUNK, 0x5a)
  try {
    let started = performance.now()
    for (let written = 0; written < bytes; written += CHUNK) writeSync(fd, chunk)
    // Until the fdatasync returns the bytes may only be in the page cache.
    fdatasyncSync(fd)
    const sequential = bytes / 1e6 / ((performance.now() - started) / 1000)
    // The same bytes again, into pages the file already has in the cache; no fdatasync, so no device in it.
    started = performance.now()
    for (let written = 0; written < bytes; written += CHUNK) writeSync(fd, chunk, 0, CHUNK, written)
    const cachedRewrite = bytes / 1e6 / ((performance.now() - started) / 1000)
    return { sequential, cachedRewrite }
  } finally {
    closeSync(fd)
    unlinkSync(path)
  }
}

export function measureDisk(req: DiskRequest): DiskResult {
  const path = join(req.dir, 'disk-probe')
  const fdatasyncOverwritePerSec = fsyncRate(path, req.fsyncSeconds, false)
  const fdatasyncAppendPerSec = fsyncRate(path, req.fsyncSeconds, true)
  const { sequential, cachedRewrite } = sequentialWrite(path, req.sequentialBytes)
  return { type: 'disk', fdatasyncOverwritePerSec, fdatasyncAppendPerSec, sequentialWriteMBps: sequential, cachedRewriteMBps: cachedRewrite }
}
