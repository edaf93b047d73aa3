/**
 * Human/JSON description of one engine WAL record, for `wq dump`. Queue,
 * group and tag names are interned in the log: they come from the
 * `EventNames` table passed in (one per pipeline, seeded from its snapshot,
 * see event-names.ts), else from a table shared by every call that passes
 * none (names learned from the intern records shown so far); else `#<id>`.
 */
import type { WalRecord } from '@wq/wal'
import { ByteReader } from '../codec/bytes.js'
import { readAddBody, readBackoff } from '../codec/add-body.js'
import * as E from '../codec/event-types.js'
import { decodeValue } from '../codec/data.js'
import { emptyAddParams } from '../state/pipeline-state.js'
import { EventNames } from './event-names.js'

export interface DescribedEvent {
  lsn: number
  type: string
  time: Date
  jobId?: string
  queue?: string
  [field: string]: unknown
}

const OUTCOMES = ['retry', 'retry-later', 'dead', 'released']

/** Names learned from intern records by calls that pass no table (kept for existing callers). */
const shared = new EventNames()

/** Time (epoch ms) of an engine event payload: its first field. */
export function eventTime(payload: Uint8Array): number {
  return new ByteReader(payload).uint()
}

/** JSON-safe form of a decoded value (BigInt, Map, Set, bytes, Dates become plain JSON). */
function jsonSafe(v: unknown, depth = 0): unknown {
  if (depth > 20) return '…'
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), jsonSafe(x, depth + 1)]))
  if (v instanceof Set) return [...v].map((x) => jsonSafe(x, depth + 1))
  if (ArrayBuffer.isView(v)) return { bytes: (v as Uint8Array).byteLength }
  if (Array.isArray(v)) return v.map((x) => jsonSafe(x, depth + 1))
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) o[k] = jsonSafe(x, depth + 1)
    return o
  }
  return v
}

function value(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined
  try {
    return jsonSafe(decodeValue(bytes))
  } catch (err) {
    return { undecodable: (err as Error).message }
  }
}

/**
 * Describe one engine record. `names` is the pipeline's name table: it is
 * read for queue, group and tag names and learns from intern records. Pass
 * one table per pipeline (`openEventNames`), so names survive compaction and
 * pipelines do not mix; without it a process-wide table is used.
 */
export function describeEvent(record: WalRecord, names: EventNames = shared): DescribedEvent {
  const name = (id: number): string => names.name(id)
  const r = new ByteReader(record.payload)
  const type = E.EVENT_NAMES[record.type] ?? `unknown-${record.type}`
  const time = new Date(r.uint())
  const ev: DescribedEvent = { lsn: record.lsn, type, time }
  const p = emptyAddParams()
  const addFields = () => {
    const id = readAddBody(r, p, Array.from(names.strings, (s, i) => s ?? `#${i}`))
    ev.jobId = String(id)
    if (p.priority !== 0) ev.priority = p.priority
    if (p.runAt > 0) ev.runAt = new Date(p.runAt).toISOString()
    if (p.group !== undefined) ev.group = p.group
    if (p.key !== undefined) ev.key = p.key
    if (p.tags !== undefined) ev.tags = p.tags
    if (p.maxAttempts > 0) ev.attempts = p.maxAttempts
    if (p.backoff !== undefined) ev.backoff = p.backoff
    if (p.timeout > 0) ev.timeout = p.timeout
    ev.data = value(r.bytes())
  }
  switch (record.type) {
    case E.EV_INTERN: {
      const id = r.uint()
      const s = r.str()
      names.learn(id, s)
      ev.id = id
      ev.value = s
      break
    }
    case E.EV_QUEUE_CONFIG:
      ev.queue = name(r.uint())
      ev.serial = r.u8() === 1
      ev.groupConcurrency = r.uint()
      ev.keepCompleted = r.uint()
      ev.keepCompletedAgeMs = r.uint()
      ev.attempts = r.uint()
      if (r.u8() === 1) ev.backoff = readBackoff(r)
      break
    case E.EV_ADD:
      ev.queue = name(r.uint())
      addFields()
      break
    case E.EV_ADD_BULK:
    case E.EV_ADD_BULK_PART: {
      ev.queue = name(r.uint())
      const jobs: unknown[] = []
      let n = 0
      for (; !r.done; n++) {
        const one: DescribedEvent = { ...ev }
        addFields()
        jobs.push({ jobId: ev.jobId, data: ev.data })
        Object.assign(ev, one)
      }
      delete ev.jobId
      delete ev.data
      ev.count = n
      ev.jobs = jobs
      break
    }
    case E.EV_START:
    case E.EV_RETRY:
    case E.EV_REMOVE:
      ev.jobId = String(r.uint())
      break
    case E.EV_COMPLETE:
      ev.jobId = String(r.uint())
      ev.result = value(r.bytes())
      break
    case E.EV_RUN_COMPLETE:
      ev.jobId = String(r.uint())
      ev.startedAt = new Date(r.uint()).toISOString()
      ev.result = value(r.bytes())
      break
    case E.EV_FAIL: {
      ev.jobId = String(r.uint())
      ev.outcome = OUTCOMES[r.u8()] ?? 'unknown'
      const retryAt = r.uint()
      if (retryAt > 0) ev.retryAt = new Date(retryAt).toISOString()
      ev.error = r.str()
      const stack = r.str()
      if (stack !== '') ev.stack = stack
      break
    }
    case E.EV_COMPLETE_NEXT: {
      ev.jobId = String(r.uint())
      const startedAt = r.uint()
      if (startedAt > 0) ev.startedAt = new Date(startedAt).toISOString()
      ev.result = value(r.bytes())
      const q = name(r.uint())
      const id = readAddBody(r, p, names.strings)
      ev.next = { queue: q, jobId: String(id), data: value(r.bytes()) }
      break
    }
    case E.EV_MOVE:
      ev.jobId = String(r.uint())
      ev.queue = name(r.uint())
      if (r.u8() === 1) ev.data = value(r.bytes())
      break
    case E.EV_RETRY_DEAD:
    case E.EV_REMOVE_DEAD:
    case E.EV_PAUSE:
    case E.EV_RESUME:
      ev.queue = name(r.uint())
      break
    case E.EV_PROGRESS:
      ev.jobId = String(r.uint())
      ev.progress = value(r.bytes())
      break
    case E.EV_REPLACE:
      ev.jobId = String(r.uint())
      ev.data = value(r.bytes())
      break
    case E.EV_SCHEDULE:
    case E.EV_QUEUE_SCHEDULE: {
      ev.schedule = r.str()
      ev.queue = name(r.uint())
      ev.pattern = r.str()
      const tz = r.str()
      if (tz !== '') ev.timezone = tz
      ev.nextRunAt = new Date(r.uint()).toISOString()
      addFields()
      delete ev.jobId
      break
    }
    case E.EV_UNSCHEDULE:
      ev.schedule = r.str()
      break
    case E.EV_QUEUE_UNSCHEDULE:
      ev.schedule = r.str()
      ev.queue = name(r.uint())
      break
    case E.EV_CRON_FIRE:
    case E.EV_QUEUE_CRON_FIRE:
      ev.schedule = r.str()
      if (record.type === E.EV_QUEUE_CRON_FIRE) ev.queue = name(r.uint())
      ev.nextRunAt = new Date(r.uint()).toISOString()
      ev.jobId = String(r.uint())
      break
    case E.EV_CLOSE: {
      const careful = r.uint()
      if (careful > 0) ev.carefulStartsThrough = String(careful)
      break
    }
  }
  return ev
}
