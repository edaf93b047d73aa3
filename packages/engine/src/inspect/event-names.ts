/**
 * The interned names (queues, groups, tags) of one pipeline, for describing
 * its records. A name is logged once, in an intern record, and referred to by
 * number after; compaction removes that record and only the snapshot still
 * holds the name. So a table is seeded from the newest snapshot, then learns
 * from the intern records it is shown. One table per pipeline: the same id
 * names different things in different pipelines.
 */
import { join } from 'node:path'
import { WalReader } from '@wq/wal'
import { readSnapshotStrings } from '../snapshot/read.js'

export class EventNames {
  /** id -> name; holes are ids not (yet) known. */
  readonly strings: string[]

  /** @param strings initial table (e.g. from `readSnapshotStrings`); copied. */
  constructor(strings: readonly string[] = ['']) {
    this.strings = strings.slice()
  }

  /** A table seeded from an engine snapshot body (`Snapshot.data`). Throws `SnapshotFormatError` if it is damaged. */
  static fromSnapshot(data: Uint8Array): EventNames {
    return new EventNames(readSnapshotStrings(data))
  }

  /** Record a name from an intern record. */
  learn(id: number, name: string): void {
    this.strings[id] = name
  }

  /** The name of `id`, or `#<id>` when unknown. */
  name(id: number): string {
    return this.strings[id] ?? `#${id}`
  }
}

/**
 * The name table of pipeline `opts.pipeline` (default `default`) under the
 * engine data directory `root`, seeded from its newest valid snapshot (empty
 * when it has none). Read-only: takes no lock.
 */
export async function openEventNames(root: string, opts: { pipeline?: string } = {}): Promise<EventNames> {
  const reader = await WalReader.open(join(root, opts.pipeline ?? 'default'))
  const snap = await reader.latestSnapshot()
  return snap === null ? new EventNames() : EventNames.fromSnapshot(snap.data)
}
