/**
 * apply(state, event): the meaning of every engine event, in one place. The
 * engine calls it for each event once the event is durable, and recovery
 * calls it for each record of the log, so live state and rebuilt state agree.
 *
 * `payload` bytes may be retained (job data and results are kept as views of
 * it), so callers pass bytes they will not overwrite.
 */
import { ByteReader, type ByteSpan } from '../codec/bytes.js'
import { EventUnreadableError } from '../errors.js'
import { readAddBody, readBackoff } from '../codec/add-body.js'
import * as E from '../codec/event-types.js'
import { ACTIVE, COMPLETED, DEAD, DELAYED, WAITING, type JobRecord } from './job.js'
import { emptyAddParams, scheduleKey, type AddParams, type PipelineState } from './pipeline-state.js'
import type { QueueState } from './queue-state.js'
import {
  RELEASE, TO_DEAD, addJob, completeJob, failJob, moveJob, promoteForStart, removeJob, replaceData, retryJob, startJob,
} from './transitions.js'

/** Hooks the live engine uses to react to applied events (resolve promises, emit events). Not used on replay. */
export interface ApplyObserver {
  added(job: JobRecord): void
  /** `time`: the completion's logged time. */
  completed(job: JobRecord, result: Uint8Array | undefined, time: number): void
  failed(job: JobRecord, outcome: number, message: string, stack: string | undefined): void
  removed(job: JobRecord): void
  /** A job moved out of `q`: room for adds waiting on its maxPending. */
  left(q: QueueState): void
  /** Something became runnable or a queue's settings changed. */
  wake(q: QueueState): void
}

const reader = new ByteReader(new Uint8Array(0))
const params: AddParams = emptyAddParams()
/** Where an add's data is (the store keeps offsets, not views: no view per added job). */
const dataSpan: ByteSpan = { buffer: new ArrayBuffer(0), byteOffset: 0, length: 0 }

/** Record types whose payload bytes stay referenced by the state after apply. */
export function retainsPayload(type: number): boolean {
  switch (type) {
    case E.EV_ADD: case E.EV_ADD_BULK: case E.EV_COMPLETE: case E.EV_RUN_COMPLETE: case E.EV_COMPLETE_NEXT:
    case E.EV_MOVE: case E.EV_PROGRESS: case E.EV_REPLACE: case E.EV_SCHEDULE: case E.EV_QUEUE_SCHEDULE:
    case E.EV_ADD_BULK_PART:
      return true
    default:
      return false
  }
}

/** The data of an add logged with a tail: the payload ends with its length, the bytes are `tail`. */
function tailSpan(r: ByteReader, tail: Uint8Array): ByteSpan {
  if (r.uint() !== tail.length) throw new RangeError('add record: data length does not match its tail')
  dataSpan.buffer = tail.buffer
  dataSpan.byteOffset = tail.byteOffset
  dataSpan.length = tail.length
  return dataSpan
}

const partReader = new ByteReader(new Uint8Array(0))

/** The jobs of one held bulk part (the same fields as EV_ADD_BULK). */
function addBulkRecord(s: PipelineState, payload: Uint8Array, obs: ApplyObserver | null): void {
  const r = partReader
  r.reset(payload)
  const time = r.uint()
  const q = s.queueById(r.uint())
  while (!r.done) {
    const id = readAddBody(r, params, s.strings)
    const job = addJob(s, q, id, time, params, r.span(dataSpan))
    obs?.added(job)
  }
}

/**
 * Forget the parts of a bulk cut short: none of its jobs exist. Their ids stay used, as they were in the process
 * that wrote them, so no later job takes an id the log already gave one of these.
 */
export function dropBulkParts(s: PipelineState): void {
  const r = partReader
  for (const part of s.bulkParts.splice(0)) {
    r.reset(part.payload)
    r.uint() // time
    r.uint() // queue
    while (!r.done) {
      const id = readAddBody(r, params, s.strings)
      r.span(dataSpan)
      if (id > s.maxJobId) s.maxJobId = id
    }
  }
}

function unscheduleNamed(s: PipelineState, name: string): void {
  const sc = s.scheduleNamed(name)
  if (sc !== undefined) s.schedules.delete(scheduleKey(sc.queue.id, name))
}

function knownJob(s: PipelineState, id: number): JobRecord | undefined {
  return s.jobs.get(id)
}

/**
 * Fold one event into the state. `tail`: a live add whose data bytes were
 * logged as the record's tail (see EventWriter.addHead) and are passed here
 * separately; on replay they are simply the end of the payload.
 */
export function apply(s: PipelineState, type: number, payload: Uint8Array, lsn: number, obs: ApplyObserver | null = null, tail?: Uint8Array): void {
  // A bulk's parts are consecutive records: anything else after a part means its bulk was cut short.
  if (s.bulkParts.length > 0 && type !== E.EV_ADD_BULK && type !== E.EV_ADD_BULK_PART) dropBulkParts(s)
  const r = reader
  r.reset(payload)
  const time = r.uint()
  switch (type) {
    case E.EV_INTERN: {
      const id = r.uint()
      s.intern(id, r.str())
      break
    }
    case E.EV_QUEUE_CONFIG: {
      const q = s.queueById(r.uint())
      q.serial = r.u8() === 1
      q.groupConcurrency = r.uint()
      q.keepCompleted = r.uint()
      q.keepCompletedAgeMs = r.uint()
      q.attempts = r.uint()
      q.backoff = r.u8() === 1 ? readBackoff(r) : undefined
      obs?.wake(q)
      break
    }
    case E.EV_ADD: {
      const q = s.queueById(r.uint())
      const id = readAddBody(r, params, s.strings)
      const job = addJob(s, q, id, time, params, tail === undefined ? r.span(dataSpan) : tailSpan(r, tail))
      obs?.added(job)
      break
    }
    case E.EV_ADD_BULK_PART:
      // The payload stays valid until the last part comes: live payloads are slab views never rewritten, and
      // replay hands retained payloads over as copies (retainsPayload).
      s.bulkParts.push({ payload, lsn })
      break
    case E.EV_ADD_BULK: {
      for (const part of s.bulkParts.splice(0)) addBulkRecord(s, part.payload, obs)
      const q = s.queueById(r.uint())
      while (!r.done) {
        const id = readAddBody(r, params, s.strings)
        const job = addJob(s, q, id, time, params, r.span(dataSpan))
        obs?.added(job)
      }
      break
    }
    case E.EV_START: {
      const job = knownJob(s, r.uint())
      if (job === undefined) break
      // Replay: a delayed job was promoted (unlogged) before it started.
      if (job.state === DELAYED) promoteForStart(s, job)
      if (job.state === WAITING) startJob(job, time)
      break
    }
    case E.EV_COMPLETE:
    case E.EV_RUN_COMPLETE: {
      const job = knownJob(s, r.uint())
      const startedAt = type === E.EV_RUN_COMPLETE ? r.uint() : 0
      const result = r.bytes()
      if (job === undefined) break
      // Live, the start was applied when the job was reserved; on replay it happens here.
      if (type === E.EV_RUN_COMPLETE) {
        if (job.state === DELAYED) promoteForStart(s, job)
        if (job.state === WAITING) startJob(job, startedAt)
      }
      if (job.state !== ACTIVE) break
      completeJob(s, job, time, result)
      obs?.completed(job, result, time)
      break
    }
    case E.EV_FAIL: {
      const job = knownJob(s, r.uint())
      const outcome = r.u8()
      const retryAt = r.uint()
      const message = r.str()
      const stack = r.str()
      if (job === undefined || job.state !== ACTIVE) break
      failJob(s, job, time, outcome, retryAt, message, stack === '' ? undefined : stack)
      obs?.failed(job, outcome, message, stack === '' ? undefined : stack)
      if (outcome !== TO_DEAD || job.queue.serial) obs?.wake(job.queue)
      break
    }
    case E.EV_COMPLETE_NEXT: {
      const job = knownJob(s, r.uint())
      const startedAt = r.uint()
      const result = r.bytes()
      const q = s.queueById(r.uint())
      const id = readAddBody(r, params, s.strings)
      const data = r.bytes()
      if (job !== undefined) {
        if (startedAt > 0) {
          if (job.state === DELAYED) promoteForStart(s, job)
          if (job.state === WAITING) startJob(job, startedAt)
        }
        if (job.state === ACTIVE) {
          completeJob(s, job, time, result)
          obs?.completed(job, result, time)
        }
      }
      const next = addJob(s, q, id, time, params, data)
      obs?.added(next)
      break
    }
    case E.EV_MOVE: {
      const job = knownJob(s, r.uint())
      const q = s.queueById(r.uint())
      const hasData = r.u8() === 1
      const data = hasData ? r.bytes() : undefined
      if (job === undefined || !(job.state === WAITING || job.state === DELAYED || job.state === DEAD)) break
      const from = job.queue
      moveJob(s, job, q, time, data)
      obs?.wake(q)
      if (from !== q) obs?.left(from)
      break
    }
    case E.EV_RETRY: {
      const job = knownJob(s, r.uint())
      if (job === undefined || job.state !== DEAD) break
      retryJob(job, time)
      obs?.wake(job.queue)
      break
    }
    case E.EV_REMOVE: {
      const job = knownJob(s, r.uint())
      if (job === undefined || job.state === ACTIVE) break
      removeJob(s, job, time)
      obs?.removed(job)
      obs?.wake(job.queue)
      break
    }
    case E.EV_RETRY_DEAD:
    case E.EV_REMOVE_DEAD: {
      const q = s.queueById(r.uint())
      for (const job of [...q.dead]) {
        if (type === E.EV_RETRY_DEAD) retryJob(job, time)
        else {
          removeJob(s, job, time)
          obs?.removed(job)
        }
      }
      obs?.wake(q)
      break
    }
    case E.EV_PROGRESS: {
      const job = knownJob(s, r.uint())
      const value = r.bytes()
      if (job !== undefined && job.state === ACTIVE) job.ext().progress = value
      break
    }
    case E.EV_REPLACE: {
      const job = knownJob(s, r.uint())
      const data = r.bytes()
      if (job !== undefined && (job.state === WAITING || job.state === DELAYED)) replaceData(s, job, data)
      break
    }
    case E.EV_PAUSE:
    case E.EV_RESUME: {
      const q = s.queueById(r.uint())
      q.paused = type === E.EV_PAUSE
      obs?.wake(q)
      break
    }
    case E.EV_SCHEDULE:
    case E.EV_QUEUE_SCHEDULE: {
      const name = r.str()
      const q = s.queueById(r.uint())
      const pattern = r.str()
      const tz = r.str()
      const nextRunAt = r.uint()
      const template = emptyAddParams()
      readAddBody(r, template, s.strings)
      const data = r.bytes()
      // Written when names were one per pipeline: it replaced the schedule of that name in any queue.
      if (type === E.EV_SCHEDULE) unscheduleNamed(s, name)
      s.schedules.set(scheduleKey(q.id, name), { name, queue: q, pattern, timezone: tz === '' ? undefined : tz, nextRunAt, template, data })
      break
    }
    case E.EV_UNSCHEDULE:
      unscheduleNamed(s, r.str())
      break
    case E.EV_QUEUE_UNSCHEDULE: {
      const name = r.str()
      s.schedules.delete(scheduleKey(r.uint(), name))
      break
    }
    case E.EV_CRON_FIRE:
    case E.EV_QUEUE_CRON_FIRE: {
      const name = r.str()
      const sched = type === E.EV_CRON_FIRE ? s.scheduleNamed(name) : s.schedules.get(scheduleKey(r.uint(), name))
      const nextRunAt = r.uint()
      const id = r.uint()
      if (sched === undefined) break
      sched.nextRunAt = nextRunAt
      const job = addJob(s, sched.queue, id, time, sched.template, sched.data)
      obs?.added(job)
      break
    }
    case E.EV_CLOSE:
      // No state: only recovery reads it (a clean stop, see open-pipeline.ts).
      r.uint()
      break
    case E.EV_OPEN:
      break
    default:
      throw new Error(`unknown engine event type ${type} at lsn ${lsn}`)
  }
  if (lsn > s.lsn) s.lsn = lsn
}

/** `apply` for a record read back from the log: one it cannot apply is reported with its pipeline, LSN and type. */
export function applyLogged(s: PipelineState, type: number, payload: Uint8Array, lsn: number): void {
  try {
    apply(s, type, payload, lsn)
  } catch (err) {
    throw new EventUnreadableError(s.name, lsn, E.EVENT_NAMES[type] ?? `type ${type}`, (err as Error).message)
  }
}

export { RELEASE, COMPLETED, DEAD }
