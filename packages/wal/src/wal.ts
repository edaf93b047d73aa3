/**
 * `Wal`: the writer's view of one log directory. Composes the lock, recovery,
 * the append path (LogWriter), reading, and snapshots/compaction.
 */
import { acquireLock, type HeldLock } from './lock.js'
import { checkWalOptions } from './options.js'
import { recover } from './recovery.js'
import { LogWriter } from './writer.js'
import { createSegment, toSegmentInfo, type SegmentState } from './segment-file.js'
import { newSalt } from './segment-header.js'
import { replaySegments, streamSegments, type ReadOptions, type ReadSegment } from './log-reader.js'
import { SnapshotStore } from './snapshot-store.js'
import { CHUNK_BYTES } from './batch.js'
import { WalClosedError } from './errors.js'
import { nodeFs } from './fs/node-fs.js'
import type { FileSystem } from './fs/file-system.js'
import type { Durability, RecoveryReport, SegmentInfo, Snapshot, SnapshotInfo, WalLogger, WalOptions, WalRecord } from './types.js'

const MiB = 1024 * 1024

/**
 * A segmented, checksummed, append-only log with a single writer.
 *
 * @example
 * const wal = await Wal.open({ dir: './data/default', durability: 'sync' })
 * const lsn = await wal.append(Buffer.from('hello'))
 * await wal.replay(1, (r) => console.log(r.lsn, r.payload))
 * await wal.close()
 */
export class Wal {
  /** The log directory. */
  readonly dir: string
  /** What recovery found and did when this log was opened. */
  readonly recovery: RecoveryReport
  /** The durability mode appends resolve under. */
  readonly durability: Durability

  private readonly fs: FileSystem
  private readonly logger?: WalLogger
  private readonly maxRecordBytes: number
  private readonly keepSnapshots: number
  private readonly snapshotStore: SnapshotStore
  private closePromise: Promise<void> | null = null
  private compacting: Promise<unknown> = Promise.resolve()

  private constructor(
    opts: WalOptions,
    private readonly lock: HeldLock,
    private readonly segmentList: SegmentState[],
    private readonly writer: LogWriter,
    recovery: RecoveryReport,
    private readonly poisonListeners: ((err: Error) => void)[],
  ) {
    this.dir = opts.dir
    this.recovery = recovery
    this.durability = opts.durability ?? 'sync'
    this.fs = opts.fs ?? nodeFs
    this.logger = opts.logger
    this.maxRecordBytes = opts.maxRecordBytes ?? 64 * MiB
    this.keepSnapshots = opts.keepSnapshots ?? 1
    this.snapshotStore = new SnapshotStore(this.fs, this.dir, this.logger)
  }

  /**
   * Open (creating if needed) the log in `opts.dir`: take the writer lock
   * (WalLockedError names the holder's PID), remove stray temp files, cut a torn
   * tail, and fail with WalCorruptionError on corruption unless
   * `truncateAtCorruption` asks to cut the log there.
   */
  static async open(opts: WalOptions): Promise<Wal> {
    const fs = opts.fs ?? nodeFs
    checkWalOptions(opts)
    const durability = opts.durability ?? 'sync'
    const maxRecordBytes = opts.maxRecordBytes ?? 64 * MiB
    await fs.mkdir(opts.dir)
    const lock = await acquireLock(fs, opts.dir)
    try {
      const { segments, listing, report } = await recover(fs, opts.dir, {
        maxRecordBytes,
        truncateAtCorruption: opts.truncateAtCorruption ?? false,
        cutAtLsn: opts.truncateAtLsn,
        logger: opts.logger,
      })
      let fh
      if (segments.length === 0) {
        const lastSnapshot = listing.snapshots[listing.snapshots.length - 1]
        const firstLsn = (lastSnapshot?.lsn ?? 0) + 1
        const created = await createSegment(fs, opts.dir, { segmentId: 1, firstLsn, prevLastLsn: firstLsn - 1, salt: newSalt() })
        segments.push(created.state)
        fh = created.fh
        report.segments = 1
        report.lastLsn = firstLsn - 1
      } else {
        fh = await fs.open(segments[segments.length - 1].path, 'readwrite')
        // After a process crash what we recovered may still be only in the page cache. Make it durable
        // before the writer marks new frames as written after a completed fsync (FLAG_SYNCED_BEFORE).
        await fh.datasync().catch(async (err) => {
          await fh!.close().catch(() => {})
          throw err
        })
      }
      const poisonListeners: ((err: Error) => void)[] = []
      const writer = new LogWriter(
        {
          fs,
          dir: opts.dir,
          durability,
          intervalMs: opts.intervalMs ?? 200,
          bufferRecords: opts.bufferRecords ?? 1024,
          // One write chunk: a full chunk held back only delays the writer (4 KiB jobs end to end: +12 % over 1 MiB).
          bufferBytes: opts.bufferBytes ?? CHUNK_BYTES,
          flushMs: opts.flushMs ?? 50,
          segmentBytes: opts.segmentBytes ?? 256 * MiB,
          backgroundSyncBytes: opts.backgroundSyncBytes ?? 8 * MiB,
          preallocate: opts.preallocate ?? durability === 'sync',
          writesInFlight: opts.writesInFlight ?? 6,
          maxRecordBytes,
          stopOnWriteFailure: opts.stopOnWriteFailure ?? false,
          logger: opts.logger,
          onPoisoned: (err) => {
            for (const f of poisonListeners.splice(0)) f(err)
          },
        },
        fh,
        segments,
      )
      opts.logger?.info({ dir: opts.dir, durability, segments: segments.length, lastLsn: writer.lastLsn }, 'WAL opened')
      return new Wal(opts, lock, segments, writer, report, poisonListeners)
    } catch (err) {
      await lock.release().catch(() => {})
      throw err
    }
  }

  /** LSN of the most recent append (0 when the log is empty). */
  get lastLsn(): number {
    return this.writer.lastLsn
  }

  /** Highest LSN that is as durable as the mode promises. */
  get durableLsn(): number {
    return this.writer.durableLsn
  }

  /** Highest LSN covered by a completed fdatasync, whatever the mode. */
  get syncedLsn(): number {
    return this.writer.syncedLsn
  }

  /** The error that poisoned the log (an fsync failure), or null. Every later append rejects with WalPoisonedError. */
  get poisoned(): Error | null {
    return this.writer.poisoned
  }

  /**
   * Resolves with the error once the log poisons itself (a failed fsync, or a failed write in `buffered` mode);
   * never rejects. In `buffered` mode nothing else may be waiting when a background write fails: the records it
   * lost were acknowledged when they entered the buffer, so this is how their owner learns of it.
   */
  whenPoisoned(): Promise<Error> {
    const err = this.writer.poisoned
    if (err !== null) return Promise.resolve(err)
    return new Promise((resolve) => this.poisonListeners.push(resolve))
  }

  /**
   * Append one record. Resolves with its LSN, in append order, once it is as
   * durable as the mode promises (`sync`: fdatasynced; `interval`/`os`: written;
   * `buffered`: buffered). Rejects with the OS error if its write or fsync
   * failed, WalPoisonedError / WalClosedError / RecordTooLargeError otherwise.
   * @param type record type 1..255 (default 1)
   */
  append(payload: Uint8Array, type = 1): Promise<number> {
    return this.writer.append(payload, type)
  }

  /**
   * Like append, but returns the LSN at once and allocates no promise (use
   * `durable(lsn)` to wait). Throws synchronously on a closed/poisoned log or a
   * bad record.
   *
   * With `tail`, the record's payload is `payload` followed by `tail`, copied
   * into the frame without joining them first (a caller that keeps a large part
   * elsewhere saves a copy). Both are copied before `push` returns.
   */
  push(payload: Uint8Array, type = 1, tail?: Uint8Array): number {
    return this.writer.push(payload, type, tail ?? null)
  }

  /** Resolves when record `lsn` is durable per the mode; rejects with the OS error if its write/fsync failed. */
  durable(lsn: number): Promise<void> {
    return this.writer.durable(lsn)
  }

  /** Write everything pending and fdatasync now, whatever the mode. */
  sync(): Promise<void> {
    return this.writer.sync()
  }

  /**
   * Resolves once every record appended so far has been written to the OS
   * (not necessarily fsynced), whatever the mode: in `buffered` mode it starts
   * the write of the buffer at once. What is written survives the process
   * dying, though not a power cut. Never rejects: a failed write rejects
   * the records' own `durable()` promises instead (and poisons the log in
   * `buffered` mode, whose appends were already acknowledged).
   */
  written(): Promise<void> {
    return this.writer.written()
  }

  /** Current segments, oldest first. */
  segments(): SegmentInfo[] {
    return this.segmentList.map(toSegmentInfo)
  }

  private readSegments(): ReadSegment[] {
    return this.segmentList.map((s) => ({ path: s.path, firstLsn: s.firstLsn, salt: s.salt, limit: s.bytes }))
  }

  private readOptions(): ReadOptions {
    return { fs: this.fs, maxRecordBytes: this.maxRecordBytes, tolerateTornTail: false }
  }

  /** Stream the records with lsn >= fromLsn (default 1) across segments (pending appends are written first). */
  records(fromLsn = 1): AsyncIterable<WalRecord> {
    return streamSegments(() => ({ segments: this.readSegments(), opts: this.readOptions() }), fromLsn, { before: () => this.writer.written() })
  }

  /**
   * Call `onRecord` for every record with lsn >= fromLsn (pending appends are
   * written first); resolves with the count. Fast path: `payload` is a view into a reused buffer, copy it to keep it.
   */
  async replay(fromLsn: number, onRecord: (r: WalRecord) => void): Promise<number> {
    await this.writer.written()
    return replaySegments(this.readSegments(), fromLsn, this.readOptions(), onRecord)
  }

  /**
   * Store a snapshot covering every record up to `lsn`, atomically (temp file,
   * fsync, rename, fsync dir). The log is fdatasynced first so the snapshot
   * never covers records a power cut could take back.
   */
  async writeSnapshot(lsn: number, data: Uint8Array | Uint8Array[]): Promise<SnapshotInfo> {
    this.assertOpen()
    if (!Number.isInteger(lsn) || lsn < 0 || lsn > this.lastLsn) throw new RangeError(`snapshot LSN ${lsn} is outside 0..${this.lastLsn}`)
    await this.sync()
    return this.snapshotStore.write(lsn, data)
  }

  /** The newest valid snapshot; a corrupt newer one is renamed to *.corrupt (with an error log) and the previous used. */
  latestSnapshot(): Promise<Snapshot | null> {
    return this.snapshotStore.latest(true)
  }

  /** Snapshot files present, oldest first. */
  snapshots(): Promise<SnapshotInfo[]> {
    return this.snapshotStore.list()
  }

  /**
   * Delete what snapshots make unnecessary: keep the newest valid snapshot and
   * `keepSnapshots` older ones, and delete the sealed segments whose records are
   * all covered by the oldest snapshot kept (so falling back to any kept
   * snapshot still finds every record after it). Fsyncs the directory after.
   */
  async compact(): Promise<{ removedSegments: string[]; removedSnapshots: string[] }> {
    this.assertOpen()
    // One at a time: two overlapping runs would pick the same files and the second unlink would fail with ENOENT
    // (an automatic snapshot's compaction still running when close() compacts after its own snapshot).
    const run = this.compacting.then(() => this.compactNow())
    this.compacting = run.catch(() => {})
    return run
  }

  private async compactNow(): Promise<{ removedSegments: string[]; removedSnapshots: string[] }> {
    // Checked piece by piece, not loaded: a running service compacts after every automatic snapshot.
    const newest = await this.snapshotStore.latestInfo(true)
    if (!newest) return { removedSegments: [], removedSnapshots: [] }
    const older = (await this.snapshots()).filter((s) => s.lsn < newest.lsn)
    const kept = older.slice(Math.max(0, older.length - this.keepSnapshots))
    const removedSnapshots = older.slice(0, older.length - kept.length).map((s) => s.file)
    const coveredLsn = kept.length > 0 ? kept[0].lsn : newest.lsn
    const removedSegments: string[] = []
    // Never the active (last) segment. Oldest first, and a segment leaves the list only once it is gone from
    // the directory: if an unlink fails, the segments left are still contiguous, and the next compaction
    // starts again from the one that failed. (Dropping it from the list first left it on disk while later
    // ones were deleted: a gap that recovery rightly refuses to open.)
    while (this.segmentList.length > 1 && this.segmentList[0].lastLsn <= coveredLsn) {
      const seg = this.segmentList[0]
      await this.fs.unlink(seg.path).catch((err: NodeJS.ErrnoException) => {
        if (err?.code !== 'ENOENT') throw err // already gone: an earlier attempt removed it after all
      })
      this.segmentList.shift()
      removedSegments.push(seg.path)
    }
    await this.snapshotStore.remove(removedSnapshots)
    if (removedSegments.length + removedSnapshots.length > 0) await this.fs.fsyncDir(this.dir)
    this.logger?.info({ dir: this.dir, snapshotLsn: newest.lsn, removedSegments: removedSegments.length, removedSnapshots: removedSnapshots.length }, 'WAL compacted')
    return { removedSegments, removedSnapshots }
  }

  /** Write and fdatasync everything pending, close the files and release the lock. */
  close(): Promise<void> {
    if (!this.closePromise) {
      this.closePromise = (async () => {
        try {
          await this.writer.close()
        } finally {
          await this.lock.release()
        }
      })()
    }
    return this.closePromise
  }

  private assertOpen(): void {
    if (this.closePromise) throw new WalClosedError()
  }
}
