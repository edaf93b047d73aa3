/**
 * `memory` durability: no disk at all. Every record is "durable" at once.
 * With `keep: true` it also remembers records and snapshots so tests can
 * replay them (the fold must rebuild the same state it reached live).
 */
import type { EventLog, LoggedSnapshot } from './event-log.js'

const DONE = Promise.resolve()

export class MemoryLog implements EventLog {
  lastLsn = 0
  readonly records: { lsn: number; type: number; payload: Uint8Array }[] = []
  private snapshot: LoggedSnapshot | null = null

  readonly discardsSnapshots: boolean

  constructor(private readonly keep = false) {
    this.discardsSnapshots = !keep
  }

  get durableLsn(): number {
    return this.lastLsn
  }

  get syncedLsn(): number {
    return this.lastLsn
  }

  push(payload: Uint8Array, type: number, tail?: Uint8Array): number {
    const lsn = ++this.lastLsn
    if (this.keep) this.records.push({ lsn, type, payload: tail === undefined ? payload.slice() : Buffer.concat([payload, tail]) })
    return lsn
  }

  durable(_lsn: number): Promise<void> {
    return DONE
  }

  sync(): Promise<void> {
    return DONE
  }

  written(): Promise<void> {
    return DONE
  }

  /** Memory never fails. */
  whenStopped(): Promise<Error> {
    return new Promise(() => {})
  }

  async replay(fromLsn: number, onRecord: (lsn: number, type: number, payload: Uint8Array) => void): Promise<number> {
    let n = 0
    for (const r of this.records) {
      if (r.lsn < fromLsn) continue
      onRecord(r.lsn, r.type, r.payload)
      n++
    }
    return n
  }

  async latestSnapshot(): Promise<LoggedSnapshot | null> {
    return this.snapshot
  }

  async writeSnapshot(lsn: number, chunks: Uint8Array[]): Promise<void> {
    if (!this.keep) return
    this.snapshot = { lsn, data: Buffer.concat(chunks) }
  }

  async compact(): Promise<{ removedSegments: string[]; removedSnapshots: string[] }> {
    return { removedSegments: [], removedSnapshots: [] }
  }

  async close(): Promise<void> {}
}
