/**
 * Snapshots: every N events or bytes logged, on close, and on demand. The
 * state is serialised synchronously at its applied LSN (a consistent cut),
 * then written by the log atomically; compaction may then drop segments.
 */
import { encodeSnapshot } from '../snapshot/write.js'
import type { JobRecord } from '../state/job.js'
import type { Pipeline } from './pipeline.js'

export interface SnapshotPolicy {
  events: number
  bytes: number
  compact: boolean
}

export class Snapshotter {
  private eventsAt = 0
  private bytesAt = 0
  private running: Promise<number> | null = null
  lastSnapshotLsn = 0
  /** The last snapshot covers every state change through this LSN (records after it changed nothing). */
  coveredThrough = 0

  constructor(private readonly p: Pipeline, private readonly policy: SnapshotPolicy | null) {}

  /** Called after each commit batch: start a snapshot when a threshold is crossed. */
  check(): void {
    const pol = this.policy
    if (pol === null || this.running !== null || this.p.closing || this.p.log.discardsSnapshots === true) return
    const c = this.p.committer
    if (c.pushedEvents - this.eventsAt < pol.events && c.pushedBytes - this.bytesAt < pol.bytes) return
    this.take()
      .then(() => (pol.compact ? this.p.log.compact() : undefined))
      .catch((err: Error) => this.p.logger.warn({ pipeline: this.p.name, err: { message: err.message } }, 'automatic snapshot failed'))
  }

  /**
   * A snapshot of the state as it is now: waits out one already being written (which may cover fewer
   * events), then takes its own unless that one already covers everything applied. Used by close() and
   * engine.snapshot().
   */
  async takeCurrent(): Promise<number> {
    while (this.running !== null) await this.running.catch(() => undefined)
    const lsn = this.p.state.foldedLsn
    if (this.lastSnapshotLsn > 0 && (this.lastSnapshotLsn === lsn || this.coveredThrough === lsn)) return this.lastSnapshotLsn
    return this.take()
  }

  /** Take a snapshot now; resolves with its LSN. Concurrent calls share one. */
  take(): Promise<number> {
    if (this.running !== null) return this.running
    const p = this.p
    const c = p.committer
    this.eventsAt = c.pushedEvents
    this.bytesAt = c.pushedBytes
    // Through the record before a bulk whose parts are held: the state is exactly that fold.
    const lsn = p.state.foldedLsn
    // A log that keeps no snapshot (memory mode) would only cost a full synchronous encode.
    if (p.log.discardsSnapshots === true) return Promise.resolve(lsn)
    const startLogged = (job: JobRecord): boolean => {
      const run = job.run
      return run === null || (run.startLsn > 0 && run.startLsn <= lsn)
    }
    const chunks = encodeSnapshot(p.state, lsn, startLogged)
    // Large job data is in `chunks` as views into the data arena: no block may be reused until it is written.
    const arena = p.state.store.arena
    arena.pin(chunks)
    this.running = p.log.writeSnapshot(lsn, chunks).then(
      () => {
        arena.unpin(chunks)
        this.running = null
        this.lastSnapshotLsn = lsn
        p.logger.info({ pipeline: p.name, lsn, bytes: chunks.reduce((n, b) => n + b.length, 0) }, 'snapshot written')
        return lsn
      },
      (err: Error) => {
        arena.unpin(chunks)
        this.running = null
        throw err
      },
    )
    return this.running
  }
}
