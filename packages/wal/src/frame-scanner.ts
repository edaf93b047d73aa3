/**
 * Reads the frames of one segment file in large chunks and validates them in
 * place (no per-frame buffers). Used by recovery, replay, `records()` and
 * verify. A scan stops at the first frame that fails a check and reports where
 * and why; deciding whether that is a torn tail or corruption is recovery's job.
 */
import { FRAME_HEADER_BYTES, frameLength, frameLsn, frameStoredCrc } from './frame.js'
import { crc32 } from './crc32.js'
import { SEGMENT_HEADER_BYTES } from './segment-header.js'
import type { FileHandle } from './fs/file-system.js'

/** Called for every valid frame with lsn >= fromLsn; the payload is `buf[offset, offset+length)` (valid only during the call unless `freshBuffers`). */
export type FrameVisitor = (lsn: number, type: number, buf: Buffer, offset: number, length: number) => void

export interface ScanOptions {
  salt: number
  /** LSN the first frame must carry. */
  firstLsn: number
  /** Do not read past this byte offset (default: the file's size when the scan starts). */
  limit?: number
  /** Only frames with lsn >= fromLsn are passed to the visitor (all are still checked). */
  fromLsn?: number
  maxRecordBytes: number
  /** Read size. Default 1 MiB. */
  chunkBytes?: number
  /** Never reuse a read buffer, so payload views stay valid after the visitor returns. */
  freshBuffers?: boolean
  /** Stop before the frame carrying this LSN, as if it were bad (a cut asked for by a person: `wq repair --cut-at-lsn`). */
  stopAtLsn?: number
}

/** Why a scan stopped before the end of the file. */
export interface ScanStop {
  /** File offset of the first byte that is not part of a valid frame. */
  offset: number
  reason: string
  /** The stop was a zero type byte (looks like unwritten/zeroed space). */
  zero: boolean
  /** The stop is the cut `stopAtLsn` asked for, not damage. */
  requested?: boolean
}

export interface ScanResult {
  /** Offset just past the last valid frame. */
  endOffset: number
  /** LSN of the last valid frame (firstLsn - 1 when none). */
  lastLsn: number
  /** Valid frames seen. */
  frames: number
  /** Bytes the scan was allowed to read (file size or limit). */
  fileEnd: number
  /** null when every byte up to fileEnd belonged to a valid frame. */
  stop: ScanStop | null
}

const DEFAULT_CHUNK = 1 << 20

/** Incremental scanner: `step()` reads one chunk and visits the whole frames in it. */
export class FrameScanner {
  private buf: Buffer
  /** File offset of buf[0]. */
  private bufStart = SEGMENT_HEADER_BYTES
  private pos = 0
  private filled = 0
  private fileEnd = 0
  private expectedLsn: number
  private readonly fromLsn: number
  private needBytes = 0
  private started = false
  private done = false
  private stop: ScanStop | null = null
  private frames = 0
  private endOffset = SEGMENT_HEADER_BYTES

  constructor(
    private readonly fh: FileHandle,
    private readonly opts: ScanOptions,
  ) {
    this.buf = Buffer.allocUnsafe(opts.chunkBytes ?? DEFAULT_CHUNK)
    this.expectedLsn = opts.firstLsn
    this.fromLsn = opts.fromLsn ?? 0
  }

  /** Scan to the end, visiting every frame. */
  async run(visit?: FrameVisitor): Promise<ScanResult> {
    while (await this.step(visit));
    return this.result()
  }

  result(): ScanResult {
    return {
      endOffset: this.endOffset,
      lastLsn: this.expectedLsn - 1,
      frames: this.frames,
      fileEnd: this.fileEnd,
      stop: this.stop,
    }
  }

  /** Read one chunk and visit its whole frames. Resolves false once the scan is finished. */
  async step(visit?: FrameVisitor): Promise<boolean> {
    if (this.done) return false
    if (!this.started) {
      this.started = true
      this.fileEnd = this.opts.limit ?? (await this.fh.stat()).size
      if (this.fileEnd < SEGMENT_HEADER_BYTES) {
        this.finish({ offset: this.fileEnd, reason: 'file shorter than the segment header', zero: false })
        return false
      }
    }
    this.refill()
    const want = Math.min(this.buf.length - this.filled, this.fileEnd - (this.bufStart + this.filled))
    if (want > 0) {
      const n = await this.fh.read(this.buf, this.filled, want, this.bufStart + this.filled)
      this.filled += n
      // The file shrank under us (a reader racing a repair): only trust what we read.
      if (n < want) this.fileEnd = this.bufStart + this.filled
    }
    this.parse(visit)
    return !this.done
  }

  /** Move the unparsed remainder to the front (or into a new/larger buffer). */
  private refill(): void {
    const rest = this.filled - this.pos
    const size = Math.max(this.opts.chunkBytes ?? DEFAULT_CHUNK, this.needBytes)
    if (this.opts.freshBuffers || size > this.buf.length) {
      const next = Buffer.allocUnsafe(size)
      this.buf.copy(next, 0, this.pos, this.filled)
      this.buf = next
    } else if (this.pos > 0 && rest > 0) {
      this.buf.copyWithin(0, this.pos, this.filled)
    }
    this.bufStart += this.pos
    this.filled = rest
    this.pos = 0
    this.needBytes = 0
  }

  private finish(stop: ScanStop | null): void {
    this.done = true
    this.stop = stop
  }

  private parse(visit: FrameVisitor | undefined): void {
    const buf = this.buf
    const max = this.opts.maxRecordBytes
    const salt = this.opts.salt
    const filled = this.filled
    const eof = this.bufStart + filled >= this.fileEnd
    let pos = this.pos
    let lsn = this.expectedLsn
    let frames = this.frames
    for (;;) {
      const avail = filled - pos
      const at = this.bufStart + pos
      if (avail < FRAME_HEADER_BYTES) {
        if (eof) this.finish(avail === 0 ? null : { offset: at, reason: `truncated frame header (${avail} bytes)`, zero: isZero(buf, pos, filled) })
        break
      }
      const type = buf[pos + 8]
      if (type === 0) {
        this.finish({ offset: at, reason: 'zero frame type', zero: true })
        break
      }
      const len = frameLength(buf, pos)
      if (len > max) {
        this.finish({ offset: at, reason: `frame length ${len} exceeds the maximum ${max}`, zero: false })
        break
      }
      const size = (FRAME_HEADER_BYTES + len + 7) & ~7
      if (at + size > this.fileEnd) {
        this.finish({ offset: at, reason: `frame of ${size} bytes runs past the end of the file`, zero: false })
        break
      }
      if (avail < size) {
        this.needBytes = size
        break
      }
      if (crc32(buf, pos + 4, size - 4, salt) !== frameStoredCrc(buf, pos)) {
        this.finish({ offset: at, reason: 'frame checksum mismatch', zero: false })
        break
      }
      const frameLsnValue = frameLsn(buf, pos)
      if (frameLsnValue !== lsn) {
        this.finish({ offset: at, reason: `frame LSN ${frameLsnValue} where ${lsn} was expected`, zero: false })
        break
      }
      if (lsn === this.opts.stopAtLsn) {
        this.finish({ offset: at, reason: `cut asked for before LSN ${lsn}`, zero: false, requested: true })
        break
      }
      if (visit !== undefined && lsn >= this.fromLsn) visit(lsn, type, buf, pos + FRAME_HEADER_BYTES, len)
      lsn++
      frames++
      pos += size
    }
    this.pos = pos
    this.expectedLsn = lsn
    this.frames = frames
    this.endOffset = this.bufStart + pos
  }
}

/** Whether every byte of `buf[from, to)` is zero (unwritten or zero-filled space). */
export function isZero(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false
  return true
}
