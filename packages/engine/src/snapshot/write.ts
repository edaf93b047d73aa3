/**
 * Serialises a pipeline state as of LSN `lsn`. Job data and results are
 * copied as the bytes they already are (encoded once, at add). A job that
 * is active in memory but whose start is not yet in the log at `lsn` is
 * written as it was before the start (waiting, one attempt fewer).
 */
import { SlabWriter } from '../codec/bytes.js'
import { writeAddBody, writeBackoff } from '../codec/add-body.js'
import { ACTIVE, COMPLETED, DELAYED, REMOVED, type JobRecord } from '../state/job.js'
import type { PipelineState } from '../state/pipeline-state.js'
import { SF_EXTRA, SF_GROUP, SF_HELD, SF_RUN_AT, SF_STARTED, SNAPSHOT_MAGIC, SNAPSHOT_VERSION } from './format.js'

/**
 * Job data at least this long goes to the log as its own chunk (a view of the
 * bytes the job already holds) instead of being copied: copying every 4 KiB
 * job synchronously stalled the event loop for seconds. Smaller data is copied
 * into slabs, so the log is not handed a million tiny chunks.
 */
const DATA_CHUNK_BYTES = 1024

/** Collects the data section: small data copied into slabs, large data passed through as views. */
class DataChunks {
  readonly chunks: Uint8Array[] = []
  private readonly d = new SlabWriter()

  constructor() {
    this.d.begin()
  }

  add(data: Uint8Array): void {
    if (data.length < DATA_CHUNK_BYTES) {
      this.d.raw(data)
      return
    }
    this.cut()
    this.chunks.push(data)
  }

  cut(): void {
    if (this.d.length > 0) this.chunks.push(this.d.end())
    this.d.begin()
  }
}

/** Chunks handed to the log: the writer's slabs, then the data section (see DataChunks). */
export function encodeSnapshot(s: PipelineState, lsn: number, startLogged: (job: JobRecord) => boolean): Uint8Array[] {
  const w = new SlabWriter()
  const d = new DataChunks()
  const chunks: Uint8Array[] = []
  const cut = () => {
    if (w.length > 0) chunks.push(w.end())
    w.begin()
    d.cut()
  }
  w.begin()
  let nStrings = 0
  for (let i = 1; i < s.strings.length; i++) if (s.strings[i] !== undefined) nStrings++
  w.uint(nStrings)
  for (let i = 1; i < s.strings.length; i++) {
    if (s.strings[i] === undefined) continue
    w.uint(i)
    w.str(s.strings[i])
  }
  w.uint(s.queues.size)
  for (const q of s.queues.values()) {
    w.uint(q.id)
    w.u8(q.paused ? 1 : 0)
    w.u8(q.serial ? 1 : 0)
    w.uint(q.groupConcurrency)
    w.uint(q.keepCompleted)
    w.uint(q.keepCompletedAgeMs)
    w.uint(q.attempts)
    if (q.backoff !== undefined) { w.u8(1); writeBackoff(w, q.backoff) } else w.u8(0)
    const t = q.totals
    w.uint(t.added); w.uint(t.completed); w.uint(t.failed); w.uint(t.retried); w.uint(t.dead)
  }
  w.uint(s.schedules.size)
  for (const sc of s.schedules.values()) {
    w.str(sc.name)
    w.uint(sc.queue.id)
    w.str(sc.pattern)
    w.str(sc.timezone ?? '')
    w.uint(sc.nextRunAt)
    const t = sc.template
    const ids = {
      group: t.group === undefined ? 0 : s.stringIds.get(t.group)!,
      tags: t.tags?.map((x) => s.stringIds.get(x)!),
    }
    writeAddBody(w, 0, t, ids, sc.data)
  }
  // Jobs: everything but completions in map order, then each queue's completions oldest first.
  let count = 0
  for (const job of s.jobs.values()) if (job.state !== COMPLETED && job.state !== REMOVED) count++
  for (const q of s.queues.values()) count += q.counts.completed
  w.uint(count)
  let written = 0
  let dataTotal = 0
  const one = (job: JobRecord) => {
    dataTotal += writeJob(w, d, s, job, startLogged)
    if (++written % 4096 === 0) cut()
  }
  for (const job of s.jobs.values()) if (job.state !== COMPLETED && job.state !== REMOVED) one(job)
  for (const q of s.queues.values()) for (const job of q.completed) if (job.state === COMPLETED) one(job)
  cut()
  // The header goes first but is written last: it carries the size of the data section at the end.
  const h = new SlabWriter()
  h.begin()
  h.f64(SNAPSHOT_MAGIC)
  h.uint(SNAPSHOT_VERSION)
  h.uint(lsn)
  h.uint(s.maxJobId)
  h.uint(dataTotal)
  return [h.end(), ...chunks, ...d.chunks]
}

/** Writes the job's fields to `w` and its data to `d`; returns the data length. */
function writeJob(w: SlabWriter, d: DataChunks, s: PipelineState, job: JobRecord, startLogged: (job: JobRecord) => boolean): number {
  let state = job.state
  let attempts = job.attempts
  let startedAt = job.startedAt
  if (state === ACTIVE && !startLogged(job)) {
    state = 0 // waiting, as before the unlogged start
    attempts--
    startedAt = undefined
  }
  const x = job.extra
  const lane = job.lane
  let flags = 0
  if (state === DELAYED) flags |= SF_RUN_AT
  if (lane.group !== undefined) flags |= SF_GROUP
  if (x !== null) flags |= SF_EXTRA
  if (lane.held === job) flags |= SF_HELD
  if (startedAt !== undefined) flags |= SF_STARTED
  w.uint(job.id)
  w.uint(job.queue.id)
  w.u8(state)
  w.u8(flags)
  w.int(job.priority)
  w.uint(attempts)
  w.uint(job.maxAttempts)
  w.uint(job.createdAt)
  if (flags & SF_RUN_AT) w.uint(job.runAt!)
  if (flags & SF_GROUP) w.uint(s.stringIds.get(lane.group!)!)
  if (flags & SF_STARTED) w.uint(startedAt!)
  const data = job.bytes()
  w.uint(data.length)
  d.add(data)
  if (x === null) return data.length
  w.str(x.key ?? '')
  w.uint(x.key === undefined ? 0 : 1)
  const tags = x.tags ?? []
  w.uint(tags.length)
  for (const t of tags) w.uint(s.stringIds.get(t)!)
  if (x.backoff !== undefined) { w.u8(1); writeBackoff(w, x.backoff) } else w.u8(0)
  w.uint(x.timeout ?? 0)
  const errors = x.errors ?? []
  w.uint(errors.length)
  for (const e of errors) { w.str(e.message); w.str(e.stack ?? ''); w.uint(e.at) }
  const history = x.history ?? []
  w.uint(history.length)
  for (const h of history) { w.str(h.state); w.uint(h.at); w.str(h.note ?? ''); w.u8(h.note === undefined ? 0 : 1) }
  w.bytes(x.result ?? new Uint8Array(0))
  w.bytes(x.progress ?? new Uint8Array(0))
  w.uint(x.finishedAt ?? 0)
  return data.length
}
