/**
 * Numeric options checked where they enter. A NaN lease or timeout used to pass `<= 0` checks and land in the
 * deadline heap, whose order it broke: no later lease or timeout of the pipeline expired.
 */

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
