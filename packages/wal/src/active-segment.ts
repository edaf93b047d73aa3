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

export class ActiveSegment {
  /** Bytes written (whole frames only). */
  size: number
  /** Bytes covered by a completed fdatasync. */
  syncedSize: number
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
