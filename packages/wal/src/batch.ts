/**
 * Write batches. Appended records are encoded straight into large pooled
 * chunks (no Buffer per record); each chunk is later written with one `write`.
 * A chunk may carry the header of a segment to rotate to before it is written,
 * because frames are checksummed with their segment's salt at encode time.
 */
import type { SegmentHeader } from './segment-header.js'

export const CHUNK_BYTES = 256 * 1024

export class Chunk {
  used = 0
  records = 0
  firstLsn = 0
  lastLsn = 0
  /** Rotate to a new segment with this header before writing this chunk. */
  rotateTo: SegmentHeader | null = null

  constructor(public buf: Buffer) {}

  reset(): void {
    this.used = 0
    this.records = 0
    this.firstLsn = 0
    this.lastLsn = 0
    this.rotateTo = null
  }
}

/** Recycles standard-size chunks; oversized ones (for huge records) are left to the GC. */
export class ChunkPool {
  private readonly free: Chunk[] = []

  constructor(
    private readonly chunkBytes = CHUNK_BYTES,
    private readonly maxFree = 16,
  ) {}

  get(minBytes: number): Chunk {
    if (minBytes <= this.chunkBytes) {
      const c = this.free.pop()
      if (c) return c
      return new Chunk(Buffer.allocUnsafe(this.chunkBytes))
    }
    return new Chunk(Buffer.allocUnsafe(minBytes))
  }

  release(c: Chunk): void {
    if (c.buf.length === this.chunkBytes && this.free.length < this.maxFree) {
      c.reset()
      this.free.push(c)
    }
  }
}
