/** EventLog over @wq/wal: one WAL directory per pipeline. */
import { Wal, type Durability, type WalLogger, type WalOptions } from '@wq/wal'
import type { EventLog, LoggedSnapshot } from './event-log.js'
import type { DurabilityMode } from '../types.js'

/** WAL durability behind each engine mode (`sync-enqueue` fsyncs enqueue batches itself, see Committer). */
export function walDurability(mode: Exclude<DurabilityMode, 'memory'>): Durability {
  switch (mode) {
    case 'sync': return 'sync'
    case 'sync-enqueue': return 'interval'
    case 'interval': return 'interval'
    case 'os': return 'os'
    case 'buffered': return 'buffered'
  }
}

export class WalLog implements EventLog {
  private constructor(readonly wal: Wal) {}

  static async open(dir: string, mode: Exclude<DurabilityMode, 'memory'>, extra: Partial<WalOptions>, logger?: WalLogger): Promise<WalLog> {
    // `sync-enqueue` runs the log in `interval` mode but fsyncs every enqueue batch: zero-filling pays there as in `sync`.
    // A failed write stops the pipeline (the committer fails everything after it), so the log must stop too:
    // going on from the cut would write records the engine pushed before it heard of the failure, and has
    // since rejected to their callers.
    const wal = await Wal.open({ preallocate: mode === 'sync' || mode === 'sync-enqueue', ...extra, dir, durability: walDurability(mode), logger, stopOnWriteFailure: true })
    return new WalLog(wal)
  }

  get lastLsn(): number {
    return this.wal.lastLsn
  }

  get durableLsn(): number {
    return this.wal.durableLsn
  }

  get syncedLsn(): number {
    return this.wal.syncedLsn
  }

  push(payload: Uint8Array, type: number, tail?: Uint8Array): number {
    return this.wal.push(payload, type, tail)
  }

  durable(lsn: number): Promise<void> {
    return this.wal.durable(lsn)
  }

  whenStopped(): Promise<Error> {
    return this.wal.whenPoisoned()
  }

  sync(): Promise<void> {
    return this.wal.sync()
  }

  written(): Promise<void> {
    return this.wal.written()
  }

  replay(fromLsn: number, onRecord: (lsn: number, type: number, payload: Uint8Array) => void): Promise<number> {
    return this.wal.replay(fromLsn, (r) => onRecord(r.lsn, r.type, r.payload))
  }

  async latestSnapshot(): Promise<LoggedSnapshot | null> {
    const s = await this.wal.latestSnapshot()
    return s === null ? null : { lsn: s.lsn, data: s.data }
  }

  async writeSnapshot(lsn: number, chunks: Uint8Array[]): Promise<void> {
    await this.wal.writeSnapshot(lsn, chunks)
  }

  compact(): Promise<{ removedSegments: string[]; removedSnapshots: string[] }> {
    return this.wal.compact()
  }

  close(): Promise<void> {
    return this.wal.close()
  }
}
