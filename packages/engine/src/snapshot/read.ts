/**
 * Rebuilds a pipeline state from a snapshot. Job data stays a view into the
 * snapshot buffer (no copy); heaps are built in one pass (heapify) rather
 * than by a million pushes.
 */
import { ByteReader } from '../codec/bytes.js'
import { readAddBody, readBackoff } from '../codec/add-body.js'
import { ACTIVE, COMPLETED, DEAD, DELAYED, JobExtra, JobRecord, WAITING } from '../state/job.js'
import { emptyAddParams, PipelineState, scheduleKey } from '../state/pipeline-state.js'
import { SF_EXTRA, SF_GROUP, SF_HELD, SF_RUN_AT, SF_STARTED, SNAPSHOT_MAGIC, SNAPSHOT_VERSIONS_READ } from './format.js'
import { EngineError } from '../errors.js'

/** A snapshot body that does not decode (damaged, or not what its label says). Code `SNAPSHOT_CORRUPT`. */
export class SnapshotFormatError extends EngineError {
  constructor(message: string) {
    super('SNAPSHOT_CORRUPT', message)
  }
}

/**
 * Decode a snapshot body. `labelLsn` is the LSN the snapshot is filed under:
 * the body records the LSN it covers, and the two must agree (a body covering
 * less than its label would silently drop the events in between). Any damage
 * ends in a `SnapshotFormatError` naming the snapshot, never a stray error
 * from deep in the decoder.
 */
export function decodeSnapshot(name: string, buf: Uint8Array, labelLsn?: number): PipelineState {
  const which = `pipeline "${name}": snapshot${labelLsn === undefined ? '' : ` at LSN ${labelLsn}`}`
  let s: PipelineState
  try {
    s = decodeBody(name, buf)
  } catch (err) {
    throw new SnapshotFormatError(`${which} is damaged: ${(err as Error).message}`)
  }
  if (labelLsn !== undefined && s.lsn !== labelLsn) {
    throw new SnapshotFormatError(`${which} holds the state at LSN ${s.lsn}: its content and its label disagree ` +
      '(move it aside to rebuild from an older snapshot or the log)')
  }
  return s
}

/** A count read from the body: each item takes at least one byte, so more than the bytes left is damage. */
function count(r: ByteReader): number {
  const n = r.uint()
  if (n > r.buf.length - r.pos) throw new SnapshotFormatError(`count ${n} at offset ${r.pos} runs past the end`)
  return n
}

/** An interned string referenced by the body. */
function interned(strings: string[], id: number): string {
  const v = id > 0 ? strings[id] : undefined
  if (v === undefined) throw new SnapshotFormatError(`unknown interned string ${id}`)
  return v
}

/**
 * Only the interned strings of a snapshot (id -> string), without building a
 * state: what a record describer needs to name queues, groups and tags whose
 * intern records were compacted away.
 */
export function readSnapshotStrings(buf: Uint8Array): string[] {
  const strings: string[] = ['']
  try {
    const r = new ByteReader(buf)
    if (buf.length < 8 || r.f64() !== SNAPSHOT_MAGIC) throw new SnapshotFormatError('not an engine snapshot')
    const version = r.uint()
    if (!SNAPSHOT_VERSIONS_READ.includes(version)) throw new SnapshotFormatError(`unsupported snapshot version ${version}`)
    r.uint() // lsn
    r.uint() // maxJobId
    const dataTotal = r.uint()
    if (dataTotal > buf.length) throw new SnapshotFormatError('data section larger than the snapshot')
    r.reset(buf.subarray(0, buf.length - dataTotal), r.pos)
    for (let n = count(r); n > 0; n--) {
      const id = r.uint()
      strings[id] = r.str()
    }
  } catch (err) {
    throw new SnapshotFormatError(`snapshot is damaged: ${(err as Error).message}`)
  }
  return strings
}

function decodeBody(name: string, buf: Uint8Array): PipelineState {
  const r = new ByteReader(buf)
  if (buf.length < 8 || r.f64() !== SNAPSHOT_MAGIC) throw new SnapshotFormatError('not an engine snapshot')
  const version = r.uint()
  if (!SNAPSHOT_VERSIONS_READ.includes(version)) throw new SnapshotFormatError(`unsupported snapshot version ${version}`)
  const s = new PipelineState(name)
  s.lsn = r.uint()
  s.maxJobId = r.uint()
  const dataTotal = r.uint()
  if (dataTotal > buf.length) throw new SnapshotFormatError('data section larger than the snapshot')
  // The reader stops where the data section starts: nothing before it may read into it.
  const bodyEnd = buf.length - dataTotal
  // Jobs point into the data section. When it is most of the buffer, they point into the buffer itself:
  // copying ~100 MB costs more at start-up than the body bytes kept alive with it. Otherwise one copy of
  // the data section, so the jobs do not keep a mostly-body buffer alive. (Uint8Array#slice copies.)
  const keepBuffer = bodyEnd <= dataTotal
  const dataSection = keepBuffer ? buf : Uint8Array.prototype.slice.call(buf, bodyEnd)
  const dataSlab = s.store.register(dataSection.buffer)
  const dataBase = keepBuffer ? buf.byteOffset + bodyEnd : 0
  let dataAt = 0
  r.reset(buf.subarray(0, bodyEnd), r.pos)
  for (let n = count(r); n > 0; n--) {
    const id = r.uint()
    s.intern(id, r.str())
  }
  for (let n = count(r); n > 0; n--) {
    const q = s.queueById(r.uint())
    q.paused = r.u8() === 1
    q.serial = r.u8() === 1
    q.groupConcurrency = r.uint()
    q.keepCompleted = r.uint()
    q.keepCompletedAgeMs = r.uint()
    q.attempts = r.uint()
    q.backoff = r.u8() === 1 ? readBackoff(r) : undefined
    const t = q.totals
    t.added = r.uint(); t.completed = r.uint(); t.failed = r.uint(); t.retried = r.uint(); t.dead = r.uint()
  }
  for (let n = count(r); n > 0; n--) {
    const sname = r.str()
    const queue = s.queueById(r.uint())
    const pattern = r.str()
    const tz = r.str()
    const nextRunAt = r.uint()
    const template = emptyAddParams()
    readAddBody(r, template, s.strings)
    // readAddBody maps ids through `strings`: an unknown id reads as undefined.
    if (template.tags?.includes(undefined as unknown as string) === true) throw new SnapshotFormatError(`schedule "${sname}": unknown tag`)
    const data = r.bytes().slice()
    s.schedules.set(scheduleKey(queue.id, sname), { name: sname, queue, pattern, timezone: tz === '' ? undefined : tz, nextRunAt, template, data })
  }
  const strings = s.strings
  const jobs = s.jobs
  let lastQueueId = -1
  let q = null as unknown as ReturnType<PipelineState['queueById']>
  for (let n = count(r); n > 0; n--) {
    const id = r.uint()
    if (id === 0 || id > s.maxJobId || jobs.has(id)) throw new SnapshotFormatError(`job id ${id} out of range or repeated`)
    const qid = r.uint()
    if (qid !== lastQueueId) {
      q = s.queueById(qid)
      lastQueueId = qid
    }
    const state = r.u8()
    if (state > DEAD) throw new SnapshotFormatError(`job ${id}: unknown state ${state}`)
    const flags = r.u8()
    const priority = r.int()
    const attempts = r.uint()
    const maxAttempts = r.uint()
    const createdAt = r.uint()
    const runAt = flags & SF_RUN_AT ? r.uint() : undefined
    if (state === DELAYED && runAt === undefined) throw new SnapshotFormatError(`job ${id}: delayed without a run time`)
    const lane = flags & SF_GROUP ? q.lane(interned(strings, r.uint())) : q.defaultLane
    const startedAt = flags & SF_STARTED ? r.uint() : undefined
    const dataLen = r.uint()
    if (dataLen > dataTotal - dataAt) throw new SnapshotFormatError(`job ${id}: data runs past the data section`)
    const job = new JobRecord(id, lane, priority, maxAttempts, createdAt)
    s.store.retainAt(job, dataSlab, dataBase + dataAt, dataLen)
    dataAt += dataLen
    job.attempts = attempts
    job.state = state
    if (startedAt !== undefined) job.startedAt = startedAt
    if (flags & SF_EXTRA) job.extra = readExtra(r, strings)
    jobs.set(id, job)
    const c = q.counts
    switch (state) {
      case WAITING:
        c.waiting++
        lane.members++
        if (flags & SF_HELD) lane.held = job
        else lane.ready.appendUnordered(job)
        break
      case DELAYED:
        c.delayed++
        lane.members++
        job.runAt = runAt
        if (flags & SF_HELD) lane.held = job
        s.delayed.appendUnordered(job)
        break
      case ACTIVE:
        c.active++
        lane.members++
        lane.running++
        if (flags & SF_HELD) lane.held = job
        break
      case DEAD:
        c.dead++
        q.dead.add(job)
        if (flags & SF_HELD) { lane.held = job; lane.members++ }
        break
      case COMPLETED:
        c.completed++
        q.completed.push(job)
        break
    }
    if (job.extra === null) continue
    const key = job.extra.key
    if (key !== undefined && (state === WAITING || state === DELAYED)) {
      // Never two pending jobs with one key. A snapshot can hold two: a job running with its start not yet logged
      // is written back as waiting (as before the start) with its key, and a job added meanwhile with that key
      // (a running job holds none) is pending too. In the log the later add took the key from the earlier job, so
      // here the later job, in id order, takes it too.
      const earlier = q.keys.get(key)
      if (earlier !== undefined && earlier.extra !== null) earlier.extra.key = undefined
      q.keys.set(key, job)
    }
    const tags = job.extra.tags
    if (tags !== undefined) {
      for (const t of tags) {
        let set = s.tags.get(t)
        if (set === undefined) s.tags.set(t, (set = new Set()))
        set.add(job)
      }
    }
  }
  if (r.pos !== bodyEnd || dataAt !== dataTotal) throw new SnapshotFormatError('body and data section lengths disagree')
  s.delayed.heapify()
  for (const q of s.queues.values()) {
    q.defaultLane.ready.heapify()
    q.offer(q.defaultLane)
    for (const lane of q.groups.values()) {
      lane.ready.heapify()
      q.offer(lane)
    }
  }
  return s
}

function readExtra(r: ByteReader, strings: string[]): JobExtra {
  const x = new JobExtra()
  const key = r.str()
  if (r.uint() === 1) x.key = key
  const nTags = count(r)
  if (nTags > 0) {
    x.tags = new Array(nTags)
    for (let i = 0; i < nTags; i++) x.tags[i] = interned(strings, r.uint())
  }
  if (r.u8() === 1) x.backoff = readBackoff(r)
  const timeout = r.uint()
  if (timeout > 0) x.timeout = timeout
  const nErrors = count(r)
  if (nErrors > 0) {
    x.errors = []
    for (let i = 0; i < nErrors; i++) {
      const message = r.str()
      const stack = r.str()
      const at = r.uint()
      x.errors.push(stack === '' ? { message, at } : { message, stack, at })
    }
  }
  const nHistory = count(r)
  if (nHistory > 0) {
    x.history = []
    for (let i = 0; i < nHistory; i++) {
      const state = r.str()
      const at = r.uint()
      const note = r.str()
      x.history.push(r.u8() === 1 ? { state, at, note } : { state, at })
    }
  }
  // Copied: a view would keep the whole snapshot buffer alive.
  const result = r.bytes()
  if (result.length > 0) x.result = result.slice()
  const progress = r.bytes()
  if (progress.length > 0) x.progress = progress.slice()
  const finishedAt = r.uint()
  if (finishedAt > 0) x.finishedAt = finishedAt
  return x
}
