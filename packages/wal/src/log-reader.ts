/**
 * Reading records across segments: the fast callback form (`replay`) and the
 * streaming async iterable (`records`). Neither loads the log into memory.
 */
import { FrameScanner, type FrameVisitor } from './frame-scanner.js'
import { WalCorruptionError } from './errors.js'
import type { FileSystem } from './fs/file-system.js'
import type { WalRecord } from './types.js'

/** What a read needs to know about one segment. */
export interface ReadSegment {
  path: string
  firstLsn: number
  salt: number
  /** Read up to this offset; undefined = the file's current size (a live reader). */
  limit?: number
}

export interface ReadOptions {
  fs: FileSystem
  maxRecordBytes: number
  /**
   * A bad frame in the last segment ends the read quietly (a reader racing a
   * writer sees a partly written batch) instead of throwing.
   */
  tolerateTornTail: boolean
  chunkBytes?: number
}

/** Index of the segment to start reading `fromLsn` at. */
function startIndex(segments: ReadSegment[], fromLsn: number): number {
  let i = 0
  while (i + 1 < segments.length && segments[i + 1].firstLsn <= fromLsn) i++
  return i
}

/**
 * Scan the segments from the one holding `fromLsn`, visiting every record >= fromLsn.
 * Yields after each chunk read so a streaming consumer can take the records collected so far.
 */
async function* scanAll(segments: ReadSegment[], fromLsn: number, opts: ReadOptions, visitor: FrameVisitor, fresh: boolean): AsyncGenerator<void> {
  for (let i = startIndex(segments, fromLsn); i < segments.length; i++) {
    const seg = segments[i]
    let fh
    try {
      fh = await opts.fs.open(seg.path, 'read')
    } catch (err) {
      // Compaction removed it since we listed: its records are covered by a snapshot.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw err
    }
    try {
      const scanner = new FrameScanner(fh, {
        salt: seg.salt,
        firstLsn: seg.firstLsn,
        limit: seg.limit,
        fromLsn,
        maxRecordBytes: opts.maxRecordBytes,
        chunkBytes: opts.chunkBytes,
        freshBuffers: fresh,
      })
      let more = true
      while (more) {
        more = await scanner.step(visitor)
        yield
      }
      const r = scanner.result()
      if (r.stop) {
        const isLast = i === segments.length - 1
        if (!(isLast && opts.tolerateTornTail)) throw new WalCorruptionError(seg.path, r.stop.offset, r.stop.reason)
        return
      }
      const next = segments[i + 1]
      if (next && next.firstLsn !== r.lastLsn + 1) {
        throw new WalCorruptionError(seg.path, r.endOffset, `segment ends at LSN ${r.lastLsn} but the next one starts at ${next.firstLsn}`)
      }
    } finally {
      await fh.close()
    }
  }
}

/** Fast callback replay. The record's payload is a view into a reused read buffer: copy it to keep it. */
export async function replaySegments(segments: ReadSegment[], fromLsn: number, opts: ReadOptions, onRecord: (r: WalRecord) => void): Promise<number> {
  let count = 0
  const visitor: FrameVisitor = (lsn, type, buf, offset, length) => {
    count++
    onRecord({ lsn, type, payload: buf.subarray(offset, offset + length) })
  }
  const o = { ...opts, chunkBytes: opts.chunkBytes ?? 4 << 20 }
  for await (const _ of scanAll(segments, fromLsn, o, visitor, false));
  return count
}

/** Segments and options, read when the stream starts (after `before`). */
export interface ReadSource {
  segments: ReadSegment[]
  opts: ReadOptions
}

export interface StreamHooks {
  /** Awaited before the first read (e.g. let pending appends be written). */
  before?: () => Promise<void>
  /** Called after the last record (may throw, e.g. a reader that stopped at a broken segment). */
  after?: () => void
}

/**
 * Stream records >= fromLsn. Payloads stay valid (each read uses a fresh
 * buffer). A hand-written iterator rather than an async generator: one
 * already-settled promise per record instead of the generator machinery.
 */
export function streamSegments(source: () => ReadSource, fromLsn: number, hooks: StreamHooks = {}): AsyncIterable<WalRecord> {
  return { [Symbol.asyncIterator]: () => new RecordStream(source, fromLsn, hooks) }
}

class RecordStream implements AsyncIterator<WalRecord> {
  private batch: WalRecord[] = []
  private index = 0
  private scan: AsyncGenerator<void> | null = null
  private finished = false

  constructor(
    private readonly source: () => ReadSource,
    private readonly fromLsn: number,
    private readonly hooks: StreamHooks,
  ) {}

  async next(): Promise<IteratorResult<WalRecord>> {
    while (this.index >= this.batch.length) {
      if (this.finished) return { done: true, value: undefined }
      if (this.scan === null) {
        await this.hooks.before?.()
        const visitor: FrameVisitor = (lsn, type, buf, offset, length) => {
          this.batch.push({ lsn, type, payload: buf.subarray(offset, offset + length) })
        }
        const { segments, opts } = this.source()
        this.scan = scanAll(segments, this.fromLsn, { ...opts, chunkBytes: opts.chunkBytes ?? 1 << 20 }, visitor, true)
      }
      this.batch = []
      this.index = 0
      const step = await this.scan.next()
      if (step.done) {
        this.finished = true
        this.hooks.after?.()
      }
    }
    return { done: false, value: this.batch[this.index++] }
  }

  async return(): Promise<IteratorResult<WalRecord>> {
    this.finished = true
    this.batch = []
    if (this.scan) await this.scan.return(undefined)
    return { done: true, value: undefined }
  }
}
