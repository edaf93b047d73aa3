/**
 * `WalReader`: read-only access to a log directory. Takes no lock and never
 * repairs anything, so it can run beside a live writer (it stops at the last
 * whole record) or on a damaged log (verify reports what is wrong).
 */
import { nodeFs } from './fs/node-fs.js'
import type { FileSystem } from './fs/file-system.js'
import { loadSegment } from './recovery.js'
import { groupListing } from './segment-name.js'
import { toSegmentInfo, type SegmentState } from './segment-file.js'
import { replaySegments, streamSegments, type ReadOptions, type ReadSegment } from './log-reader.js'
import { SnapshotStore } from './snapshot-store.js'
import { WalCorruptionError } from './errors.js'
import { verifyLog } from './verify.js'
import type { SegmentInfo, Snapshot, SnapshotInfo, VerifyReport, WalRecord } from './types.js'

export interface WalReaderOptions {
  fs?: FileSystem
  maxRecordBytes?: number
}

export class WalReader {
  private segmentList: SegmentState[] = []
  /** A bad header or gap found when listing: reads stop there with this error (verify() reports it). */
  private brokenAt: WalCorruptionError | null = null
  private readonly snapshotStore: SnapshotStore

  private constructor(
    /** The log directory. */
    readonly dir: string,
    private readonly fs: FileSystem,
    private readonly maxRecordBytes: number,
  ) {
    this.snapshotStore = new SnapshotStore(fs, dir)
  }

  /**
   * Open `dir` read-only. A bad segment header or a gap between segments does
   * not stop the open (verify() reports it); reads deliver the records before
   * it and then throw WalCorruptionError.
   */
  static async open(dir: string, opts: WalReaderOptions = {}): Promise<WalReader> {
    const reader = new WalReader(dir, opts.fs ?? nodeFs, opts.maxRecordBytes ?? 64 * 1024 * 1024)
    await reader.refresh()
    return reader
  }

  /** Re-list the directory (a writer may have rotated or compacted since). */
  private async refresh(): Promise<void> {
    const listing = groupListing(await this.fs.readdir(this.dir))
    const segments: SegmentState[] = []
    this.brokenAt = null
    for (let i = 0; i < listing.segments.length; i++) {
      const isLast = i === listing.segments.length - 1
      // Sealed segments are not scanned here: their last LSN is implied by the next one's first
      // (reads and verify() check that it really is).
      const prev = segments[segments.length - 1]
      if (prev) prev.lastLsn = listing.segments[i].firstLsn - 1
      let loaded
      try {
        loaded = await loadSegment(this.fs, this.dir, listing.segments[i], prev ?? null, this.maxRecordBytes, isLast)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue // compacted under us
        throw err
      }
      const p = loaded.problem
      if (p && p.kind !== 'frame') {
        this.brokenAt = new WalCorruptionError(loaded.state.path, p.offset, p.reason)
        break
      }
      segments.push(loaded.state)
    }
    this.segmentList = segments
  }

  private readSegments(): ReadSegment[] {
    // No limit: read up to the current end of each file, stopping at the last whole record.
    return this.segmentList.map((s) => ({ path: s.path, firstLsn: s.firstLsn, salt: s.salt }))
  }

  private readOptions(): ReadOptions {
    // Before a broken segment, the last readable one is sealed: a bad frame in it is corruption.
    return { fs: this.fs, maxRecordBytes: this.maxRecordBytes, tolerateTornTail: this.brokenAt === null }
  }

  /** Stream records with lsn >= fromLsn (default 1). */
  records(fromLsn = 1): AsyncIterable<WalRecord> {
    return streamSegments(() => ({ segments: this.readSegments(), opts: this.readOptions() }), fromLsn, {
      before: () => this.refresh(),
      after: () => {
        if (this.brokenAt) throw this.brokenAt
      },
    })
  }

  /** Call `onRecord` for each record with lsn >= fromLsn; `payload` is a view (copy to keep). Resolves with the count. */
  async replay(fromLsn: number, onRecord: (r: WalRecord) => void): Promise<number> {
    await this.refresh()
    const n = await replaySegments(this.readSegments(), fromLsn, this.readOptions(), onRecord)
    if (this.brokenAt) throw this.brokenAt
    return n
  }

  /** Segments as of the last refresh (open, or the start of the last read). */
  segments(): SegmentInfo[] {
    return this.segmentList.map(toSegmentInfo)
  }

  snapshots(): Promise<SnapshotInfo[]> {
    return this.snapshotStore.list()
  }

  /** The newest valid snapshot; corrupt ones are skipped (never renamed: this is a read-only view). */
  latestSnapshot(): Promise<Snapshot | null> {
    return this.snapshotStore.latest(false)
  }

  /** Check every header, frame and snapshot; `ok` is false on anything but a torn tail. */
  verify(onProgress?: (bytesDone: number, bytesTotal: number) => void): Promise<VerifyReport> {
    return verifyLog(this.fs, this.dir, this.maxRecordBytes, this.snapshotStore, onProgress)
  }
}
