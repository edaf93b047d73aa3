/**
 * Options checked where they enter, so a bad one is a TypeError at the call that names it, and nothing is
 * written. A NaN lease or timeout used to pass `<= 0` checks and land in the deadline heap, whose order it broke;
 * a NaN, fractional or negative priority, attempt count or retention was logged as bytes that read back as
 * another number (or could not be read back at all, so the pipeline no longer opened), and Infinity never
 * finished encoding.
 */
import { checkWalOptions } from '@wq/wal'
import type { AddOptions, EngineOptions, QueueOptions } from '../types.js'
import type { ScheduleOptions } from './cron.js'

function bad(name: string, what: string, v: unknown): never {
  throw new TypeError(`${name} must be ${what}, got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
}

/** A time in ms: finite and ≥ 0 (0 means none). */
export function checkMs(name: string, v: number | undefined): void {
  if (v === undefined) return
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`${name} must be a finite number of ms ≥ 0, got ${String(v)}`)
}

/** A count limit: a number ≥ `min`, or Infinity. */
export function checkLimit(name: string, v: number | undefined, min: number): void {
  if (v === undefined) return
  if (typeof v !== 'number' || Number.isNaN(v) || v < min) throw new TypeError(`${name} must be a number ≥ ${min} (or Infinity), got ${String(v)}`)
}

/** The options a worker runs with, wherever they are given (queue options, `process()` options). */
export function checkRunOptions(o: { concurrency?: number; timeout?: number; leaseMs?: number }): void {
  checkLimit('concurrency', o.concurrency, 1)
  checkMs('timeout', o.timeout)
  checkMs('leaseMs', o.leaseMs)
}

/** A count: a whole number ≥ `min`, or Infinity when `infinite` (stored as 2^53 − 1). */
export function checkCount(name: string, v: number | undefined, min: number, infinite = false): void {
  if (v === undefined || (infinite && v === Infinity)) return
  if (!Number.isSafeInteger(v) || v < min) bad(name, `a whole number ≥ ${min}${infinite ? ' (or Infinity)' : ''}`, v)
}

/** A name: a string that is not empty. */
export function checkName(name: string, v: unknown): void {
  if (typeof v !== 'string' || v.length === 0) bad(name, 'a non-empty string', v)
}

/** The options of one add (and of a schedule's runs). */
export function checkAddOptions(o: AddOptions | ScheduleOptions): void {
  const a = o as AddOptions
  if (a.priority !== undefined && !Number.isSafeInteger(a.priority)) bad('priority', 'an integer', a.priority)
  checkMs('delay', a.delay)
  if (a.runAt !== undefined) {
    const t = a.runAt instanceof Date ? a.runAt.getTime() : a.runAt
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) bad('runAt', 'a valid Date or epoch ms', a.runAt)
  }
  if (a.group !== undefined) checkName('group', a.group)
  if (a.key !== undefined) checkName('key', a.key)
  if (a.onDuplicate !== undefined && a.onDuplicate !== 'keep' && a.onDuplicate !== 'replace') bad('onDuplicate', '"keep" or "replace"', a.onDuplicate)
  if (a.tags !== undefined) {
    if (!Array.isArray(a.tags)) bad('tags', 'an array of strings', a.tags)
    for (const t of a.tags) checkName('each tag', t)
  }
  checkCount('attempts', a.attempts, 1, true)
  checkMs('timeout', a.timeout)
}

/** The options of a queue (its workers' options are checked by checkRunOptions). */
export function checkQueueOptions(o: QueueOptions): void {
  checkCount('attempts', o.attempts, 1, true)
  checkCount('groupConcurrency', o.groupConcurrency, 1, true)
  if (o.serial !== undefined && typeof o.serial !== 'boolean') bad('serial', 'a boolean', o.serial)
  const kc = o.keepCompleted
  if (typeof kc === 'object' && kc !== null) {
    checkCount('keepCompleted.count', kc.count, 0, true)
    checkMs('keepCompleted.age', kc.age)
  } else if (kc !== undefined) checkCount('keepCompleted', kc as number, 0, true)
}

const MODES = ['sync', 'sync-enqueue', 'interval', 'os', 'buffered', 'memory']

/** Engine.open's options, and the WAL options it passes on (so a bad one fails the open, not a pipeline later). */
export function checkEngineOptions(o: EngineOptions): void {
  if (o.durability !== undefined && !MODES.includes(o.durability)) bad('durability', MODES.map((m) => `"${m}"`).join(', '), o.durability)
  if (o.dir !== undefined && (typeof o.dir !== 'string' || o.dir.length === 0)) bad('dir', 'a non-empty path', o.dir)
  checkCount('maxDataBytes', o.maxDataBytes, 1)
  checkMs('closeTimeoutMs', o.closeTimeoutMs)
  if (o.compactAfterSnapshot !== undefined && typeof o.compactAfterSnapshot !== 'boolean') bad('compactAfterSnapshot', 'a boolean', o.compactAfterSnapshot)
  const se = o.snapshotEvery
  if (se !== undefined && se !== false) {
    if (typeof se !== 'object' || se === null) bad('snapshotEvery', 'false or { events, bytes }', se)
    checkCount('snapshotEvery.events', se.events, 1, true)
    checkCount('snapshotEvery.bytes', se.bytes, 1, true)
  }
  if (o.wal !== undefined) checkWalOptions(o.wal)
}
