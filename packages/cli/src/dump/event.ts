import type { WalRecord } from '@wq/wal'
import type { DescribedEvent } from '@wq/engine/inspect'

/** What one dumped line says: the described event, or the raw record when it cannot be decoded. */
export type DumpEvent = DescribedEvent | { lsn: number; type: string; time?: undefined; bytes: number; undecodable: string }

/** describeEvent that never throws: a record the engine cannot decode is still shown, so dump never hides part of the log. */
export function describeSafely(record: WalRecord, describeEvent: (r: WalRecord) => DescribedEvent): DumpEvent {
  try {
    return describeEvent(record)
  } catch (err) {
    return { lsn: record.lsn, type: `raw:${record.type}`, bytes: record.payload.byteLength, undecodable: err instanceof Error ? err.message : String(err) }
  }
}
