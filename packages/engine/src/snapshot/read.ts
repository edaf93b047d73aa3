/**
 * Rebuilds a pipeline state from a snapshot. Job data stays a view into the
 * snapshot buffer (no copy); heaps are built in one pass (heapify) rather
 * than by a million pushes.
 */
import { ByteReader } from '../codec/bytes.js'
import { readAddBody, readBackoff } from '../codec/add-body.js'
import { ACTIVE, COMPLETED, DEAD, DELAYED, JobExtra, JobRecord, WAITING } from '../state/job.js'
import { emptyAddParams, PipelineState } from '../state/pipeline-state.js'
import { SF_EXTRA, SF_GROUP, SF_HELD, SF_RUN_AT, SF_STARTED, SNAPSHOT_MAGIC, SNAPSHOT_VERSION } from './format.js'

export class SnapshotFormatError extends Error {}

export function decodeSnapshot(name: string, buf: Uint8Array): PipelineState {
  const r = new ByteReader(buf)
  if (buf.length < 8 || r.f64() !== SNAPSHOT_MAGIC) throw new SnapshotFormatError('not an engine snapshot')
  const version = r.uint()
  if (version !== SNAPSHOT_VERSION) throw new SnapshotFormatError(`unsupported snapshot version ${version}`)
  const s = new PipelineState(name)
  s.lsn = r.uint()
  s.maxJobId = r.uint()
  const dataTotal = r.uint()
  if (dataTotal > buf.length) throw new SnapshotFormatError('data section larger than the snapshot')
  // One copy of the data section, so the jobs do not keep the whole file buffer alive.
  // (Uint8Array#slice copies; Buffer#slice would not.)
  const dataSection = Uint8Array.prototype.slice.call(buf, buf.length - dataTotal)
  const dataSlab = s.store.register(dataSection.buffer)
  let dataAt = 0
  for (let n = r.uint(); n > 0; n--) {
    const id = r.uint()
    s.intern(id, r.str())
  }
  for (let n = r.uint(); n > 0; n--) {
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
  for (let n = r.uint(); n > 0; n--) {
    const sname = r.str()
    const queue = s.queueById(r.uint())
    const pattern = r.str()
    const tz = r.str()
    const nextRunAt = r.uint()
    const template = emptyAddParams()
    readAddBody(r, template, s.strings)
    const data = r.bytes().slice()
    s.schedules.set(sname, { name: sname, queue, pattern, timezone: tz === '' ? undefined : tz, nextRunAt, template, data })
  }
  const strings = s.strings
  const jobs = s.jobs
  let lastQueueId = -1
  let q = null as unknown as ReturnType<PipelineState['queueById']>
  for (let n = r.uint(); n > 0; n--) {
    const id = r.uint()
    const qid = r.uint()
    if (qid !== lastQueueId) {
      q = s.queueById(qid)
      lastQueueId = qid
    }
    const state = r.u8()
    const flags = r.u8()
    const priority = r.int()
    const attempts = r.uint()
    const maxAttempts = r.uint()
    const createdAt = r.uint()
    const runAt = flags & SF_RUN_AT ? r.uint() : undefined
    const lane = flags & SF_GROUP ? q.lane(strings[r.uint()]) : q.defaultLane
    const startedAt = flags & SF_STARTED ? r.uint() : undefined
    const dataLen = r.uint()
    const job = new JobRecord(id, lane, priority, maxAttempts, createdAt)
    s.store.retainAt(job, dataSlab, dataAt, dataLen)
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
    if (key !== undefined && (state === WAITING || state === DELAYED)) q.keys.set(key, job)
    const tags = job.extra.tags
    if (tags !== undefined) {
      for (const t of tags) {
        let set = s.tags.get(t)
        if (set === undefined) s.tags.set(t, (set = new Set()))
        set.add(job)
      }
    }
  }
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
  const nTags = r.uint()
  if (nTags > 0) {
    x.tags = new Array(nTags)
    for (let i = 0; i < nTags; i++) x.tags[i] = strings[r.uint()]
  }
  if (r.u8() === 1) x.backoff = readBackoff(r)
  const timeout = r.uint()
  if (timeout > 0) x.timeout = timeout
  const nErrors = r.uint()
  if (nErrors > 0) {
    x.errors = []
    for (let i = 0; i < nErrors; i++) {
      const message = r.str()
      const stack = r.str()
      const at = r.uint()
      x.errors.push(stack === '' ? { message, at } : { message, stack, at })
    }
  }
  const nHistory = r.uint()
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
