/**
 * The segment being appended to: its file, how many bytes are written, and how
 * many a completed fdatasync covers. At most one fdatasync runs on it at a time.
 *
 * Outside `sync` mode nothing fdatasyncs a segment until it is sealed at
 * rotation, and sealing 64 MiB of dirty pages took ~90 ms during which no
 * append was acknowledged. So the writer may also sync it in the background
 * every so many bytes while writes go on, which leaves the seal little to flush.
 */
import type { FileHandle } from './fs/file-system.js'
import type { SegmentState } from './segment-file.js'
import type { ZeroFill } from './zero-fill.js'

export class ActiveSegment {
  /** Bytes written (whole frames only). */
  size: number
  /** Bytes covered by a completed fdatasync. */
  syncedSize: number
  /** Zero-fills ahead of the writer (`preallocate`), or null. */
  fill: ZeroFill | null = null
  private background: Promise<void> | null = null
  /** `size` when the last background sync started. */
  private backgroundFrom: number

  constructor(
    readonly fh: FileHandle,
    readonly state: SegmentState,
  ) {
    this.size = this.syncedSize = this.backgroundFrom = state.bytes
  }

  get allSynced(): boolean {
    return this.syncedSize === this.size
  }

  /** Resolves once no background sync is running (never rejects: its failure went to its `onError`). */
  async idle(): Promise<void> {
    while (this.background !== null) await this.background
  }

  /**
   * Resolves once neither a background sync nor a zero-fill is running: before
   * the file is cut, sealed or closed. (A commit's fdatasync need not wait for a
   * fill: both may run at once.)
   */
  async settled(): Promise<void> {
    for (;;) {
      if (this.background !== null) await this.background
      else if (this.fill !== null && this.fill.busy) await this.fill.idle()
      else return
    }
  }

  /** Whether a fill may have left zeros past the last frame. */
  get hasZeros(): boolean {
    return this.fill !== null && this.fill.wroteZeros
  }

  /** Cut the zeros a fill left past the last frame, durably (call after `settled()`); throws the OS error. */
  async cutZeros(): Promise<void> {
    await this.fh.truncate(this.size)
    // fsync, not fdatasync: the shrunken size is what must reach the disk.
    await this.fh.sync()
    this.fill?.cutTo(this.size)
  }

  /**
   * After a failed write: wait for background work, then cut the file back to
   * its last whole frame, durably (the same cut as `cutZeros`: failed bytes go
   * with any zeros). The cut must be durable before anything is written after
   * it, or a power cut could bring back the failed bytes, whose frames carry
   * LSNs that later appends reuse. Throws the OS error.
   */
  async cutBack(): Promise<void> {
    await this.settled()
    await this.cutZeros()
  }

  /** fdatasync everything written so far (call after `idle()`); throws the OS error. */
  async datasync(): Promise<void> {
    const size = this.size
    await this.fh.datasync()
    if (size > this.syncedSize) this.syncedSize = size
  }

  /**
   * Start a background fdatasync if `every` bytes were written since the last
   * one started and none is running. It covers at least the bytes written
   * before it started, which is what `onSynced` is told.
   */
  syncInBackground(every: number, onSynced: () => void, onError: (err: unknown) => void): void {
    if (this.background !== null || this.size - this.backgroundFrom < every) return
    const size = this.size
    this.backgroundFrom = size
    this.background = this.fh.datasync().then(
      () => {
        this.background = null
        if (size > this.syncedSize) this.syncedSize = size
        onSynced()
      },
      (err: unknown) => {
        this.background = null
        onError(err)
      },
    )
  }
}
