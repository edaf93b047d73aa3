/**
 * Public types of @wq/wal. This file is the contract the engine, the CLI and
 * the crash suite are written against: extend it, but do not change the
 * meaning of what is here without updating every user.
 */
import type { FileSystem } from './fs/file-system.js'

/**
 * How durable a record is when its append resolves.
 * - `sync`: after fdatasync (appends arriving during a sync share the next one: group commit).
 * - `interval`: after write(); fdatasync every `intervalMs`.
 * - `os`: after write(); never fsynced by the log (survives a process crash, not a power cut).
 * - `buffered`: on entering an in-memory buffer, written every `bufferRecords`/`bufferBytes`/`flushMs`.
 */
export type Durability = 'sync' | 'interval' | 'os' | 'buffered'

/** Minimal logger shape (pino-compatible). */
export interface WalLogger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export interface WalOptions {
  /** Directory holding this log's segments, snapshots and lock file. Created if missing. */
  dir: string
  /** Default 'sync'. */
  durability?: Durability
  /** `interval` mode: fdatasync period. Default 200. */
  intervalMs?: number
  /** `buffered` mode: flush when this many records are buffered. Default 1024. */
  bufferRecords?: number
  /** `buffered` mode: flush when this many bytes are buffered. Default 256 KiB (one write chunk). */
  bufferBytes?: number
  /** `buffered` mode: flush at least this often. Default 50. */
  flushMs?: number
  /**
   * Rotate to a new segment past this size. Default 256 MiB: every rotation
   * holds appends while the old segment is sealed (fdatasync) and the new one
   * published (two more fsyncs), ~13 ms here, and at 4 KiB jobs 64 MiB
   * segments rotated every ~0.2 s (bench/compare/findings.md).
   */
  segmentBytes?: number
  /**
   * Outside `sync` mode: fdatasync the active segment in the background after
   * this many bytes are written, so sealing it at rotation has little left to
   * flush (and does not stall appends). Promises nothing more. 0 turns it off.
   * Default 8 MiB.
   */
  backgroundSyncBytes?: number
  /**
   * Zero-fill the active segment a few MiB ahead of the writer, each step
   * fdatasynced, so a commit's fdatasync overwrites blocks already allocated and
   * need not commit the file system's journal as well (on ext4 here: ~1.6× the
   * fdatasync rate of appending). The zeros are cut off when a segment is sealed
   * and at close; after a crash, recovery drops them. Costs one extra write of
   * every byte. Default true in `sync` mode, false otherwise.
   */
  preallocate?: boolean
  /**
   * Chunk writes (up to 256 KiB each) issued at once, at most; they complete
   * and are acknowledged in order. More than the thread pool's four threads
   * keeps a pool thread busy, which is cheaper here than waking one. Default 6.
   */
  writesInFlight?: number
  /** Largest payload accepted (and believed when reading a length). Default 64 MiB. */
  maxRecordBytes?: number
  /** Snapshots kept by compact() besides the newest. Default 1. */
  keepSnapshots?: number
  /**
   * After a failed write, stop the log (as a failed fsync does: every later append throws, reopen to recover)
   * instead of cutting the failed records back and going on. For callers that treat any failed write as fatal:
   * nothing appended after the failure, before they heard of it, is then written. Always so in `buffered`.
   * Default false.
   */
  stopOnWriteFailure?: boolean
  /** On mid-log corruption, cut the log there (moving the cut bytes aside) instead of failing. Default false. */
  truncateAtCorruption?: boolean
  /**
   * Cut the log before the record with this LSN, moving it and everything after it (later segments, snapshots past
   * the cut) aside, as `truncateAtCorruption` does at damage: for a record whose checksum is good but that its
   * reader cannot use. Only `wq repair --cut-at-lsn` sets it.
   */
  truncateAtLsn?: number
  /** Injectable file-system layer (tests: power loss, ENOSPC, EIO). Default: real node:fs. */
  fs?: FileSystem
  logger?: WalLogger
}

/** One record as read back. `payload` may be a view into a shared read buffer: copy it to keep it. */
export interface WalRecord {
  lsn: number
  /** Record type, 1..255, chosen by the appender (0 is reserved as invalid). */
  type: number
  payload: Uint8Array
}

export interface SegmentInfo {
  file: string
  segmentId: number
  firstLsn: number
  /** LSN of the last whole record, or firstLsn - 1 when empty. */
  lastLsn: number
  bytes: number
}

export interface SnapshotInfo {
  file: string
  /** Every record with lsn <= this is reflected in the snapshot. */
  lsn: number
  bytes: number
  createdAt: Date
}

export interface Snapshot extends SnapshotInfo {
  data: Buffer
}

/** What recovery did on open. */
export interface RecoveryReport {
  segments: number
  records: number
  lastLsn: number
  /** Set when a torn tail was cut off. */
  truncatedTail?: { file: string; offset: number; droppedBytes: number; savedAs: string }
  /** Set when the last segment ended in zeros only (space zero-filled ahead, see `preallocate`) and they were cut off. */
  droppedZeros?: { file: string; offset: number; bytes: number }
  /** Set when truncateAtCorruption cut the log at corruption. */
  cutAtCorruption?: { file: string; offset: number; reason: string; movedAside: string[] }
  removedTempFiles: string[]
  unknownFiles: string[]
}

export interface VerifyProblem {
  file: string
  offset: number
  reason: string
  kind: 'corruption' | 'torn-tail' | 'gap' | 'snapshot' | 'header'
}

export interface VerifyReport {
  ok: boolean
  segments: number
  records: number
  snapshots: number
  problems: VerifyProblem[]
}
