/** Retry delay computation: fixed, exponential (with jitter and cap), or a function. */
import type { StoredBackoff } from '../state/job.js'
import type { BackoffOption, StoredBackoffOption } from '../types.js'

/** Delay in ms before attempt `attempt + 1`, after attempt `attempt` (1-based) failed. */
export function backoffDelay(b: BackoffOption | StoredBackoff | undefined, attempt: number, error: Error, random = Math.random): number {
  if (b === undefined) return 0
  if (typeof b === 'function') {
    const d = b(attempt, error)
    return Number.isFinite(d) && d > 0 ? d : 0
  }
  if (b.type === 'fixed') return b.delay
  let d = b.delay * 2 ** (attempt - 1)
  const maxDelay = (b as { maxDelay?: number }).maxDelay
  if (maxDelay !== undefined && maxDelay > 0 && d > maxDelay) d = maxDelay
  const jitter = (b as { jitter?: number }).jitter
  // Jitter in [0, 1]: the delay is drawn from [d * (1 - jitter), d].
  if (jitter !== undefined && jitter > 0) d = d * (1 - Math.min(1, jitter) * random())
  return Math.round(d)
}

export function toStoredBackoff(b: StoredBackoffOption | undefined): StoredBackoff | undefined {
  if (b === undefined) return undefined
  if (typeof b !== 'object' || b === null || (b.type !== 'fixed' && b.type !== 'exponential') || !(b.delay >= 0 && b.delay < Infinity)) {
    throw new TypeError('backoff must be { type: "fixed" | "exponential", delay } with delay a finite number of ms ≥ 0 (a function is only allowed in queue options)')
  }
  const { jitter, maxDelay } = b as { jitter?: unknown; maxDelay?: unknown }
  if (jitter !== undefined && !(typeof jitter === 'number' && jitter >= 0 && jitter <= 1)) throw new TypeError(`backoff.jitter must be a number from 0 to 1, got ${String(jitter)}`)
  if (maxDelay !== undefined && !(typeof maxDelay === 'number' && maxDelay >= 0 && maxDelay < Infinity)) throw new TypeError(`backoff.maxDelay must be a finite number of ms ≥ 0, got ${String(maxDelay)}`)
  const s: StoredBackoff = { type: b.type, delay: Math.round(b.delay) }
  if (b.type === 'exponential') {
    if (b.jitter !== undefined) s.jitter = b.jitter
    if (b.maxDelay !== undefined) s.maxDelay = Math.round(b.maxDelay)
  }
  return s
}
