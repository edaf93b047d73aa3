/**
 * The engine's view of its log. The real implementation adapts @wq/wal
 * (wal-log.ts); `memory` durability uses MemoryLog. Keeping the engine on
 * this small interface keeps I/O at the edge and lets tests inject failures.
 */
export interface LoggedSnapshot {
  lsn: number
  data: Uint8Array
}

export interface EventLog {
  /** LSN of the most recent push (0 when empty). */
  readonly lastLsn: number
  /** Highest LSN as durable as the mode promises. After a failed write, what is at or below it stays durable. */
  readonly durableLsn: number
  /** Highest LSN covered by a completed fsync, whatever the mode: durable in every sense. */
  readonly syncedLsn: number
  /** Append a record; returns its LSN at once. Durability is awaited with `durable()`. Throws if the log is unusable. */
  push(payload: Uint8Array, type: number, tail?: Uint8Array): number
  /** Resolves when `lsn` is as durable as the mode promises; rejects if its write failed. */
  durable(lsn: number): Promise<void>
  /** Write and fsync everything pending, whatever the mode. */
  sync(): Promise<void>
  /** Resolves once everything pushed so far has reached the OS (survives the process dying); never rejects. */
  written(): Promise<void>
  /** Resolves with the error once the log stops by itself (an I/O failure it cannot go on from); never rejects. */
  whenStopped(): Promise<Error>
  /** Call `onRecord` for every record with lsn >= fromLsn, in order. `payload` is a view: copy to keep. */
  replay(fromLsn: number, onRecord: (lsn: number, type: number, payload: Uint8Array) => void): Promise<number>
  latestSnapshot(): Promise<LoggedSnapshot | null>
  /** True when `writeSnapshot` keeps nothing (memory mode): the engine then never encodes one. */
  readonly discardsSnapshots?: boolean
  writeSnapshot(lsn: number, chunks: Uint8Array[]): Promise<void>
  compact(): Promise<{ removedSegments: string[]; removedSnapshots: string[] }>
  close(): Promise<void>
}
