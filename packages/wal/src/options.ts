/**
 * The WAL's numeric and boolean options, checked at open: a NaN interval, a zero buffer or a fractional segment
 * size would otherwise be taken as given and show up later as a log that syncs never, or rotates on every record.
 */
import type { WalOptions } from './types.js'

function wholeAtLeast(name: string, v: unknown, min: number): void {
  if (v !== undefined && !(Number.isSafeInteger(v) && (v as number) >= min)) throw new RangeError(`${name} must be a whole number ≥ ${min}, got ${String(v)}`)
}

function positiveMs(name: string, v: unknown): void {
  if (v !== undefined && !(typeof v === 'number' && v > 0 && v < Infinity)) throw new RangeError(`${name} must be a finite number of ms > 0, got ${String(v)}`)
}

function flag(name: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') throw new RangeError(`${name} must be a boolean, got ${String(v)}`)
}

/** Throws RangeError naming the first option that is not what it must be. */
export function checkWalOptions(o: Omit<WalOptions, 'dir'>): void {
  if (o.durability !== undefined && !['sync', 'interval', 'os', 'buffered'].includes(o.durability)) throw new RangeError(`unknown durability mode ${String(o.durability)}`)
  positiveMs('intervalMs', o.intervalMs)
  positiveMs('flushMs', o.flushMs)
  wholeAtLeast('bufferRecords', o.bufferRecords, 1)
  wholeAtLeast('bufferBytes', o.bufferBytes, 1)
  wholeAtLeast('segmentBytes', o.segmentBytes, 1)
  wholeAtLeast('backgroundSyncBytes', o.backgroundSyncBytes, 0)
  wholeAtLeast('writesInFlight', o.writesInFlight, 1)
  wholeAtLeast('maxRecordBytes', o.maxRecordBytes, 1)
  wholeAtLeast('keepSnapshots', o.keepSnapshots, 0)
  wholeAtLeast('truncateAtLsn', o.truncateAtLsn, 1)
  flag('preallocate', o.preallocate)
  flag('stopOnWriteFailure', o.stopOnWriteFailure)
  flag('truncateAtCorruption', o.truncateAtCorruption)
}
