/**
 * Turns appended records into frames in pooled chunks, in LSN order, and plans
 * rotations. A frame is checksummed with its segment's salt as it is encoded,
 * so the encoder decides which segment each frame lands in and marks the chunk
 * that starts a new one; the writer rotates when it reaches that chunk.
 */
import { Chunk, ChunkPool } from './batch.js'
import { encodeFrame, FRAME_HEADER_BYTES } from './frame.js'
import { SEGMENT_HEADER_BYTES, newSalt, type SegmentHeader } from './segment-header.js'
import type { SegmentState } from './segment-file.js'

export class ChunkEncoder {
  private readonly pool = new ChunkPool()
  private current: Chunk | null = null
  private queue: Chunk[] = []
  private salt = 0
  /** Id of the segment the next frame goes to. */
  segmentId = 0
  /** Bytes and frames in that segment, counting frames encoded but not yet written. */
  private bytes = 0
  private frames = 0

  constructor(
    private readonly segmentBytes: number,
    segment: SegmentState,
  ) {
    this.continueAfter(segment)
  }

  /** Encode record `lsn` (its payload is `payload` then `tail`); returns its frame's size. */
  encode(payload: Uint8Array, type: number, lsn: number, tail: Uint8Array | null): number {
    const size = (FRAME_HEADER_BYTES + payload.length + (tail === null ? 0 : tail.length) + 7) & ~7
    if (this.frames > 0 && this.bytes + size > this.segmentBytes) this.planRotation(lsn)
    let c = this.current
    if (c === null || c.used + size > c.buf.length) c = this.newChunk(size)
    encodeFrame(c.buf, c.used, payload, type, 0, lsn, this.salt, tail)
    if (c.records === 0) c.firstLsn = lsn
    c.used += size
    c.records++
    c.lastLsn = lsn
    this.bytes += size
    this.frames++
    return size
  }

  /** Whether any encoded frame is waiting to be taken. */
  get pending(): boolean {
    return this.queue.length > 0 || (this.current !== null && this.current.records > 0)
  }

  /** Every chunk holding frames, oldest first (the partly filled one too); later frames go to new chunks. */
  take(): Chunk[] {
    const c = this.current
    if (c !== null && c.records > 0) {
      this.queue.push(c)
      this.current = null
    }
    const q = this.queue
    this.queue = []
    return q
  }

  /** A chunk is written (or dropped): reuse its buffer. */
  release(c: Chunk): void {
    this.pool.release(c)
  }

  /** Drop every frame not yet taken. */
  discard(): void {
    for (const c of this.queue) this.pool.release(c)
    if (this.current) this.pool.release(this.current)
    this.queue = []
    this.current = null
  }

  /** Continue after `segment`'s last frame (at open, and after a failed write was cut back). */
  continueAfter(segment: SegmentState): void {
    this.salt = segment.salt
    this.segmentId = segment.segmentId
    this.bytes = segment.bytes
    this.frames = segment.lastLsn - segment.firstLsn + 1
  }

  private newChunk(size: number): Chunk {
    const prev = this.current
    const c = this.pool.get(size)
    if (prev !== null) {
      if (prev.records > 0) this.queue.push(prev)
      else {
        c.rotateTo = prev.rotateTo
        this.pool.release(prev)
      }
    }
    this.current = c
    return c
  }

  private planRotation(lsn: number): void {
    const header: SegmentHeader = { segmentId: this.segmentId + 1, firstLsn: lsn, prevLastLsn: lsn - 1, salt: newSalt() }
    const c = this.newChunk(0)
    c.rotateTo = header
    this.segmentId = header.segmentId
    this.salt = header.salt
    this.bytes = SEGMENT_HEADER_BYTES
    this.frames = 0
  }
}
