/**
 * The body of an add (shared by add, add-bulk, complete-next, schedule and
 * the snapshot): flags, job id, optional fields, data bytes.
 * Strings that repeat (group, tags) are interned ids.
 */
import type { ByteReader, SlabWriter } from './bytes.js'
import {
  AF_ATTEMPTS, AF_BACKOFF, AF_GROUP, AF_KEY, AF_PRIORITY, AF_RUN_AT, AF_TAGS, AF_TIMEOUT,
} from './event-types.js'
import type { AddParams } from '../state/pipeline-state.js'
import type { StoredBackoff } from '../state/job.js'

/** Interned ids for the strings of an add, resolved by the caller before encoding. */
export interface AddStrings {
  group: number
  tags: number[] | undefined
}

export function writeBackoff(w: SlabWriter, b: StoredBackoff): void {
  w.u8(b.type === 'fixed' ? 0 : 1)
  w.uint(b.delay)
  w.f64(b.jitter ?? 0)
  w.uint(b.maxDelay ?? 0)
}

export function readBackoff(r: ByteReader): StoredBackoff {
  const type = r.u8() === 0 ? 'fixed' : 'exponential'
  const delay = r.uint()
  const jitter = r.f64()
  const maxDelay = r.uint()
  const b: StoredBackoff = { type, delay }
  if (jitter > 0) b.jitter = jitter
  if (maxDelay > 0) b.maxDelay = maxDelay
  return b
}

export function writeAddBody(w: SlabWriter, jobId: number, p: AddParams, ids: AddStrings | null, data: Uint8Array): void {
  writeAddFields(w, jobId, p, ids)
  w.bytes(data)
}

/** Everything of an add body but its data bytes (which follow, length-prefixed). */
export function writeAddFields(w: SlabWriter, jobId: number, p: AddParams, ids: AddStrings | null): void {
  let flags = 0
  if (p.priority !== 0) flags |= AF_PRIORITY
  if (p.runAt > 0) flags |= AF_RUN_AT
  if (ids !== null && ids.group > 0) flags |= AF_GROUP
  if (p.key !== undefined) flags |= AF_KEY
  if (ids !== null && ids.tags !== undefined && ids.tags.length > 0) flags |= AF_TAGS
  if (p.maxAttempts > 0) flags |= AF_ATTEMPTS
  if (p.backoff !== undefined) flags |= AF_BACKOFF
  if (p.timeout > 0) flags |= AF_TIMEOUT
  w.u8(flags)
  w.uint(jobId)
  if (flags & AF_PRIORITY) w.int(p.priority)
  if (flags & AF_RUN_AT) w.uint(p.runAt)
  if (flags & AF_GROUP) w.uint(ids!.group)
  if (flags & AF_KEY) w.str(p.key!)
  if (flags & AF_TAGS) {
    const tags = ids!.tags!
    w.uint(tags.length)
    for (const t of tags) w.uint(t)
  }
  if (flags & AF_ATTEMPTS) w.uint(p.maxAttempts)
  if (flags & AF_BACKOFF) writeBackoff(w, p.backoff!)
  if (flags & AF_TIMEOUT) w.uint(p.timeout)
}

/**
 * Read an add body into the scratch `p`; returns the job id. `strings` maps
 * interned ids back. The data is returned through `p` as a view (see apply).
 */
export function readAddBody(r: ByteReader, p: AddParams, strings: string[]): number {
  const flags = r.u8()
  const jobId = r.uint()
  p.priority = flags & AF_PRIORITY ? r.int() : 0
  p.runAt = flags & AF_RUN_AT ? r.uint() : 0
  p.group = flags & AF_GROUP ? strings[r.uint()] : undefined
  p.key = flags & AF_KEY ? r.str() : undefined
  if (flags & AF_TAGS) {
    const n = r.uint()
    // Each tag takes at least a byte: a damaged count must not size an allocation.
    if (n > r.buf.length - r.pos) throw new RangeError('tag count past end of event')
    const tags: string[] = new Array(n)
    for (let i = 0; i < n; i++) tags[i] = strings[r.uint()]
    p.tags = tags
  } else p.tags = undefined
  p.maxAttempts = flags & AF_ATTEMPTS ? r.uint() : 0
  p.backoff = flags & AF_BACKOFF ? readBackoff(r) : undefined
  p.timeout = flags & AF_TIMEOUT ? r.uint() : 0
  return jobId
}
