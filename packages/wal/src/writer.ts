/**
 * The append path: encodes records into pooled chunks, writes them in passes
 * (write-pass.ts: several writes in flight, completed in order), fdatasyncs per durability mode (group commit in
 * `sync`), rotates segments (segment-rotation.ts), and settles the durability promises in LSN order.
 * Failures (README "Failures"): a failed write is cut back and every append from
 * the first lost record on is rejected (their LSNs are reused, the log stays
 * contiguous); a failed fsync or cut-back poisons the writer.
 */
import { ActiveSegment } from './active-segment.js'
import type { Chunk } from './batch.js'
import { ChunkEncoder } from './chunk-encoder.js'
import { LsnWaiters } from './waiters.js'
import { RecordTooLargeError, WalClosedError, WalPoisonedError } from './errors.js'
import type { SegmentState } from './segment-file.js'
import { sealAndCreateNext, type RotationHooks } from './segment-rotation.js'
import type { SegmentHeader } from './segment-header.js'
import type { FileHandle, FileSystem } from './fs/file-system.js'
import type { Durability, WalLogger } from './types.js'
import { LARGE_COMMIT_BYTES, ZeroFill } from './zero-fill.js'
import { writePass, type WritePassHooks } from './write-pass.js'

export interface WriterConfig {
  fs: FileSystem
  dir: string
  durability: Durability
  intervalMs: number
  bufferRecords: number
  bufferBytes: number
  flushMs: number
  segmentBytes: number
  /** Outside `sync` mode: fdatasync the active segment in the background after this many bytes (0: never). */
  backgroundSyncBytes: number
  /** Zero-fill the active segment ahead of the writer (see ZeroFill). */
  preallocate: boolean
  /** Chunk writes issued at once, at most (see write-pass.ts). */
  writesInFlight: number
  maxRecordBytes: number
  /** A failed write stops the log (see WalOptions.stopOnWriteFailure). */
  stopOnWriteFailure: boolean
  logger?: WalLogger
  /** Called once, when the writer poisons itself. */
  onPoisoned?: (err: Error) => void
}

export class LogWriter {
  /** LSN of the last record handed out. */
  lastLsn: number
  /** Last LSN whose write() completed. */
  writtenLsn: number
  /** Last LSN covered by a completed fdatasync. */
  syncedLsn: number
  poisoned: Error | null = null
  closing = false

  private active: ActiveSegment
  private readonly enc: ChunkEncoder
  private unwrittenRecords = 0
  private unwrittenBytes = 0
  private flushing = false
  private kickScheduled = false
  private intervalDue = false
  private readonly waiters = new LsnWaiters()
  private readonly syncWaiters = new LsnWaiters()
  private readonly writeWaiters = new LsnWaiters()
  private idleWaiters: (() => void)[] = []
  private flushTimer: NodeJS.Timeout | null = null
  private intervalTimer: NodeJS.Timeout | null = null
  private readonly ackOnWrite: boolean
  /** Bytes each fdatasync covered, as a moving average (decides whether zero-filling pays, see ZeroFill). */
  private commitBytes = 0
  private readonly passHooks: WritePassHooks = {
    active: () => this.active,
    rotate: (header) => this.rotate(header),
    completed: (a, queue, index) => this.completeWrite(a, queue, index),
    failed: (err, queue, index) => this.failWrite(err, queue, index),
    poisoned: () => this.poisoned !== null,
  }
  private readonly rotationHooks: RotationHooks = {
    poisoned: () => this.poisoned,
    poison: (err) => this.poison(err),
    syncActive: () => this.syncActive(),
  }

  constructor(
    private readonly cfg: WriterConfig,
    fh: FileHandle,
    /** The log's segment list, shared with the Wal (rotation appends to it). */
    private readonly segments: SegmentState[],
  ) {
    const state = segments[segments.length - 1]
    this.active = this.openActive(fh, state)
    this.lastLsn = this.writtenLsn = this.syncedLsn = state.lastLsn
    this.enc = new ChunkEncoder(cfg.segmentBytes, state)
    this.ackOnWrite = cfg.durability === 'os' || cfg.durability === 'interval'
    if (cfg.durability === 'interval') {
      this.intervalTimer = setInterval(this.onInterval, cfg.intervalMs)
      this.intervalTimer.unref()
    }
  }

  /** Highest LSN as durable as the mode promises. */
  get durableLsn(): number {
    switch (this.cfg.durability) {
      case 'sync':
        return this.syncedLsn
      case 'buffered':
        // Once a failed write has poisoned the log, only what was written is there.
        return this.poisoned ? this.writtenLsn : this.lastLsn
      default:
        return this.writtenLsn
    }
  }

  /** Segment id of the newest segment (for naming after recovery). */
  get segmentId(): number {
    return this.enc.segmentId
  }

  push(payload: Uint8Array, type: number, tail: Uint8Array | null = null): number {
    if (this.poisoned) throw new WalPoisonedError(this.poisoned)
    if (this.closing) throw new WalClosedError()
    if (!(type >= 1 && type <= 255 && (type | 0) === type)) throw new RangeError(`record type must be an integer 1..255, got ${type}`)
    const len = tail === null ? payload.length : payload.length + tail.length
    if (len > this.cfg.maxRecordBytes) throw new RecordTooLargeError(len, this.cfg.maxRecordBytes)
    const lsn = this.lastLsn + 1
    this.unwrittenBytes += this.enc.encode(payload, type, lsn, tail)
    this.unwrittenRecords++
    this.lastLsn = lsn
    if (this.cfg.durability !== 'buffered') this.kick()
    else if (this.unwrittenRecords >= this.cfg.bufferRecords || this.unwrittenBytes >= this.cfg.bufferBytes) this.kick()
    else if (this.flushTimer === null) {
      this.flushTimer = setTimeout(this.onFlushTimer, this.cfg.flushMs)
      this.flushTimer.unref()
    }
    return lsn
  }

  append(payload: Uint8Array, type: number): Promise<number> {
    let lsn: number
    try {
      lsn = this.push(payload, type)
    } catch (err) {
      return Promise.reject(err)
    }
    if (this.cfg.durability === 'buffered') {
      if (!this.writesFarBehind()) return Promise.resolve(lsn)
      return new Promise((resolve, reject) => this.writeWaiters.add(lsn, resolve, reject))
    }
    return new Promise((resolve, reject) => this.waiters.add(lsn, resolve, reject))
  }

  durable(lsn: number): Promise<void> {
    const buffered = this.cfg.durability === 'buffered'
    // What was already durable stays so, even once the log is poisoned.
    if (lsn <= (buffered ? this.writtenLsn : this.durableLsn)) return Promise.resolve()
    if (this.poisoned) return Promise.reject(this.poisoned)
    if (lsn > this.lastLsn) return Promise.reject(new RangeError(`LSN ${lsn} has not been appended (last is ${this.lastLsn})`))
    if (buffered) {
      if (!this.writesFarBehind()) return Promise.resolve()
      return new Promise((resolve, reject) => this.writeWaiters.add(lsn, () => resolve(), reject))
    }
    return new Promise((resolve, reject) => this.waiters.add(lsn, () => resolve(), reject))
  }

  /**
   * Back-pressure in `buffered` mode: a producer faster than the disk would
   * otherwise pile up encoded chunks without bound. Past four buffers behind,
   * being acknowledged waits for the record's write.
   */
  private writesFarBehind(): boolean {
    return this.unwrittenBytes > 4 * this.cfg.bufferBytes || this.unwrittenRecords > 4 * this.cfg.bufferRecords
  }

  /** Resolves once every record appended so far has been written (or has failed); never rejects. */
  written(): Promise<void> {
    const target = this.lastLsn
    if (target <= this.writtenLsn || this.poisoned) return Promise.resolve()
    const p = new Promise<void>((resolve) => this.writeWaiters.add(target, () => resolve(), () => resolve()))
    this.kick()
    return p
  }

  /** Write everything pending and fdatasync, whatever the mode. */
  sync(): Promise<void> {
    if (this.poisoned) return Promise.reject(new WalPoisonedError(this.poisoned))
    const target = this.lastLsn
    if (target <= this.syncedLsn && !this.flushing) return Promise.resolve()
    const p = new Promise<void>((resolve, reject) => this.syncWaiters.add(target, () => resolve(), reject))
    this.kick()
    return p
  }

  /** Flush, fdatasync and close the segment. New appends are refused from now on. */
  async close(): Promise<void> {
    this.closing = true
    if (this.flushTimer) clearTimeout(this.flushTimer)
    if (this.intervalTimer) clearInterval(this.intervalTimer)
    this.flushTimer = this.intervalTimer = null
    if (!this.poisoned) {
      await this.sync().catch(() => {})
    }
    await this.idle()
    await this.active.settled()
    if (!this.poisoned && this.active.hasZeros) {
      // A closed log keeps no zeros: the next open then finds the segment exactly as long as its records.
      await this.active.cutZeros().catch((err: unknown) => {
        this.cfg.logger?.warn({ err, file: this.active.state.path }, 'WAL could not cut the zero-filled space off at close; the next open will')
      })
    }
    await this.active.fh.close().catch(() => {})
  }

  private openActive(fh: FileHandle, state: SegmentState): ActiveSegment {
    const a = new ActiveSegment(fh, state)
    if (this.cfg.preallocate) {
      a.fill = new ZeroFill(
        fh,
        a.size,
        this.cfg.segmentBytes,
        (err) => this.poison(err),
        (err) => this.cfg.logger?.warn({ err, file: state.path }, 'WAL could not zero-fill ahead; appending without it'),
      )
      a.fill.paused = this.commitBytes > LARGE_COMMIT_BYTES
    }
    return a
  }

  /** Resolves once no flush is running. */
  private idle(): Promise<void> {
    if (!this.flushing && !this.kickScheduled) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private readonly onFlushTimer = (): void => {
    this.flushTimer = null
    this.kick()
  }

  private readonly onInterval = (): void => {
    if (this.writtenLsn > this.syncedLsn || this.unwrittenRecords > 0) {
      this.intervalDue = true
      this.kick()
    }
  }

  private kick(): void {
    if (this.flushing || this.kickScheduled) return
    this.kickScheduled = true
    queueMicrotask(this.startFlush)
  }

  private readonly startFlush = (): void => {
    this.kickScheduled = false
    if (!this.flushing) void this.flushLoop()
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true
    try {
      while (this.poisoned === null) {
        const queue = this.enc.take()
        const wrote = queue.length > 0
        if (wrote) {
          await writePass(queue, this.cfg.writesInFlight, this.passHooks)
          if (this.poisoned) break
          if (this.ackOnWrite) this.waiters.resolveThrough(this.writtenLsn)
        }
        const wantSync = this.cfg.durability === 'sync' || this.syncWaiters.size > 0 || this.intervalDue
        if (wantSync && this.writtenLsn > this.syncedLsn) {
          await this.syncActive()
          continue
        }
        this.intervalDue = false
        if (this.syncWaiters.size > 0) this.syncWaiters.resolveThrough(this.syncedLsn)
        if (!wrote && !this.enc.pending) break
      }
    } finally {
      this.flushing = false
      if (this.flushTimer && this.unwrittenRecords === 0) {
        clearTimeout(this.flushTimer)
        this.flushTimer = null
      }
      const idle = this.idleWaiters
      this.idleWaiters = []
      for (const f of idle) f()
    }
  }

  /** `queue[index]` is written (and every chunk before it): advance, acknowledge, recycle. */
  private completeWrite(a: ActiveSegment, queue: Chunk[], index: number): void {
    const c = queue[index]
    a.size += c.used
    a.state.bytes = a.size
    if (this.cfg.durability !== 'sync' && this.cfg.backgroundSyncBytes > 0) this.syncInBackground(a)
    a.state.lastLsn = c.lastLsn
    this.writtenLsn = c.lastLsn
    // Acknowledge per chunk, not per pass: the records of a written chunk are applied and run while the next chunks are written.
    if (this.ackOnWrite) this.waiters.resolveThrough(c.lastLsn)
    if (this.writeWaiters.size > 0) this.writeWaiters.resolveThrough(c.lastLsn)
    this.unwrittenBytes -= c.used
    this.unwrittenRecords -= c.records
    // Drop this list's reference too: it lives until the last chunk is written, and a long queue would keep every chunk.
    queue[index] = null as unknown as Chunk
    this.enc.release(c)
  }

  /** See ActiveSegment: keeps the seal at rotation short outside `sync` mode. */
  private syncInBackground(a: ActiveSegment): void {
    const target = this.writtenLsn
    a.syncInBackground(
      this.cfg.backgroundSyncBytes,
      () => {
        if (this.active !== a || this.poisoned || target <= this.syncedLsn) return
        this.syncedLsn = target
        this.syncWaiters.resolveThrough(target)
      },
      (err) => this.poison(err),
    )
  }

  /** Seal the active segment and publish the next one (segment-rotation.ts). */
  private async rotate(header: SegmentHeader): Promise<void> {
    const created = await sealAndCreateNext(this.active, this.cfg.fs, this.cfg.dir, header, this.rotationHooks)
    this.active = this.openActive(created.fh, created.state)
    this.segments.push(created.state)
  }

  private async syncActive(): Promise<void> {
    const a = this.active
    await a.idle()
    if (this.poisoned) return
    const target = this.writtenLsn
    if (a.fill !== null) {
      this.commitBytes = this.commitBytes * 0.875 + (a.size - a.syncedSize) * 0.125
      a.fill.paused = this.commitBytes > LARGE_COMMIT_BYTES
    }
    try {
      await a.datasync()
    } catch (err) {
      this.poison(err)
      return
    }
    this.syncedLsn = target
    this.intervalDue = false
    if (this.cfg.durability === 'sync') this.waiters.resolveThrough(target)
    this.syncWaiters.resolveThrough(target)
  }

  /**
   * A write (or rotation) for chunk `queue[index]` failed: cut the file back to
   * the last whole frame and drop that chunk and everything after it.
   */
  private async failWrite(err: unknown, queue: Chunk[], index: number): Promise<void> {
    const a = this.active
    const fromLsn = queue[index].firstLsn
    try {
      await a.cutBack()
    } catch (truncErr) {
      this.cfg.logger?.error({ err: truncErr, file: a.state.path }, 'WAL could not cut a failed write back; poisoning')
      this.poison(err)
      return
    }
    for (let j = index; j < queue.length; j++) this.enc.release(queue[j])
    // In `buffered` the lost records were acknowledged when they entered the buffer: going on from the cut would
    // let later records build on ones the caller was told are logged (an add naming a string whose intern record
    // was lost, so the log no longer replays). Stop instead, as after an fsync failure; reopening recovers the
    // written prefix, which is what a crash at this moment would have left. Callers may ask for the same.
    if (this.cfg.durability === 'buffered' || this.cfg.stopOnWriteFailure) {
      const what = this.cfg.durability === 'buffered' ? ' in buffered mode; records from this LSN were lost' : '; records from this LSN rejected'
      this.poison(err, { file: a.state.path, fromLsn }, `WAL write failed${what}; reopen to recover`)
      return
    }
    this.discardPending()
    this.lastLsn = fromLsn - 1
    this.enc.continueAfter(a.state)
    this.cfg.logger?.error({ err, file: a.state.path, fromLsn }, 'WAL write failed; appends from this LSN rejected')
    this.waiters.rejectFrom(fromLsn, err)
    this.syncWaiters.rejectFrom(fromLsn, err)
    this.writeWaiters.rejectFrom(fromLsn, err)
  }

  private discardPending(): void {
    this.enc.discard()
    this.unwrittenBytes = 0
    this.unwrittenRecords = 0
  }

  /** Stop acknowledging: the kernel may have dropped dirty pages, and a retried fsync can lie. */
  private poison(err: unknown, where: object = { dir: this.cfg.dir }, message = 'WAL poisoned by an I/O failure; reopen to recover'): void {
    if (this.poisoned) return
    this.poisoned = err instanceof Error ? err : new Error(String(err))
    // A fill's fdatasync must not make records durable after the one that failed: they were rejected.
    this.active.fill?.stop()
    this.cfg.logger?.error({ err, ...where }, message)
    this.discardPending()
    this.waiters.rejectAll(this.poisoned)
    this.syncWaiters.rejectAll(this.poisoned)
    this.writeWaiters.rejectAll(this.poisoned)
    this.cfg.onPoisoned?.(this.poisoned)
  }
}
