import { describe, expect, it } from 'vitest'
import { Wal } from '@wq/wal'
import { MemoryFs } from '@wq/wal/testing'
import type { FileHandle, FileSystem, OpenMode } from '../src/fs/file-system.js'

/**
 * A file system whose segment writes wait at a gate the test opens, so a
 * producer can be made faster than the disk deterministically.
 */
class GatedFs {
  private gate: Promise<void> = Promise.resolve()
  private openGate: () => void = () => {}
  /** Writes to .wal files that have started (and may be waiting at the gate). */
  writesStarted = 0

  constructor(private readonly inner: MemoryFs) {}

  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve))
  }

  release(): void {
    this.openGate()
    this.gate = Promise.resolve()
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const fh = await this.inner.open(path, mode)
    if (!path.endsWith('.wal')) return fh
    const write = fh.write.bind(fh)
    return Object.assign(Object.create(fh) as FileHandle, {
      write: async (buf: Uint8Array, offset: number, length: number, position: number) => {
        this.writesStarted++
        await this.gate
        return write(buf, offset, length, position)
      },
    })
  }

  readonly readdir = (dir: string) => this.inner.readdir(dir)
  readonly mkdir = (dir: string) => this.inner.mkdir(dir)
  readonly stat = (p: string) => this.inner.stat(p)
  readonly rename = (a: string, b: string) => this.inner.rename(a, b)
  readonly unlink = (p: string) => this.inner.unlink(p)
  readonly fsyncDir = (dir: string) => this.inner.fsyncDir(dir)
}


describe('buffered back-pressure', () => {
  it('acknowledges at once while writes keep up, and waits for the write once they fall four buffers behind', async () => {
    const g = new GatedFs(new MemoryFs())
    const fs: FileSystem = {
      open: (p, m) => g.open(p, m),
      readdir: g.readdir, mkdir: g.mkdir, stat: g.stat, rename: g.rename, unlink: g.unlink, fsyncDir: g.fsyncDir,
    }
    const bufferRecords = 4
    const wal = await Wal.open({ dir: '/w', fs, durability: 'buffered', bufferRecords, bufferBytes: 1 << 20, flushMs: 1000 })
    g.hold()
    const payload = Buffer.alloc(32, 1)
    // Up to four buffers unwritten: pushed, durable() and append() resolve without any write finishing.
    let lsn = 0
    for (let i = 0; i < 4 * bufferRecords - 1; i++) lsn = wal.push(payload)
    await wal.durable(lsn)
    expect(await wal.append(payload)).toBe(lsn + 1)
    expect(g.writesStarted).toBeGreaterThan(0) // a write is in flight, held at the gate
    // Past that, both wait for their record's write.
    const late = wal.push(payload)
    const order: string[] = []
    const durable = wal.durable(late).then(() => order.push('durable'))
    const appended = wal.append(payload).then(() => order.push('append'))
    // Neither can settle before the write it waits for: the test awaits a write start, then checks.
    const startedBefore = g.writesStarted
    await new Promise((resolve) => setImmediate(resolve))
    expect(g.writesStarted).toBe(startedBefore) // one write in flight, still held
    order.push('gate opened')
    g.release()
    await Promise.all([durable, appended])
    expect(order).toEqual(['gate opened', 'durable', 'append'])
    await wal.close()
  })
})
