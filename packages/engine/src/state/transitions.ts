/**
 * State transitions of a job. These are the only functions that change job
 * state; `apply()` calls them for logged events (live and on replay), and the
 * live path calls `startJob` directly when it reserves a job (the start event
 * is logged alongside). Pure: no I/O, time comes in as arguments.
 */
import {
  ACTIVE, COMPLETED, DEAD, DELAYED, JobRecord, REMOVED, WAITING, type StoredBackoff,
} from './job.js'
import type { ByteSpan } from '../codec/bytes.js'
import type { Lane } from './lane.js'
import type { AddParams, PipelineState } from './pipeline-state.js'
import type { QueueState } from './queue-state.js'

/** What a failure did to the job (decided live, stored in the FAIL event so replay agrees). */
export const RETRY_NOW = 0
export const RETRY_AT = 1
export const TO_DEAD = 2
/** Put back without counting the attempt (shutdown). */
export const RELEASE = 3

function indexTags(s: PipelineState, job: JobRecord, tags: string[]): void {
  for (const t of tags) {
    let set = s.tags.get(t)
    if (set === undefined) s.tags.set(t, (set = new Set()))
    set.add(job)
  }
}

function unindexTags(s: PipelineState, job: JobRecord): void {
  const tags = job.extra?.tags
  if (tags === undefined) return
  for (const t of tags) {
    const set = s.tags.get(t)
    if (set === undefined) continue
    set.delete(job)
    if (set.size === 0) s.tags.delete(t)
  }
}

/** The job leaves the state for good: index, tags, data. */
function forget(s: PipelineState, job: JobRecord): void {
  s.jobs.delete(job.id)
  unindexTags(s, job)
  s.store.release(job)
}

function releaseKey(job: JobRecord): void {
  const key = job.extra?.key
  if (key !== undefined && job.queue.keys.get(key) === job) job.queue.keys.delete(key)
}

function claimKey(job: JobRecord): void {
  const key = job.extra?.key
  if (key === undefined) return
  // The event is authoritative: a later add with the same key takes the index over. A job still
  // pending with the key (one that came back from a run while the add was in flight) gives it up:
  // never two pending jobs with one key.
  const keys = job.queue.keys
  const holder = keys.get(key)
  if (holder !== undefined && holder !== job && holder.extra !== null) holder.extra.key = undefined
  keys.set(key, job)
}

/**
 * A job back to pending (retry, release, worker lost, retry by hand, move) takes its key again,
 * unless another pending job took the key meanwhile (added while this one ran: a running job
 * holds no key). Then that job keeps it and this one gives its key up and goes on as a plain
 * job: never two pending jobs with one key, and neither acknowledged job is lost.
 */
function reclaimKey(job: JobRecord): void {
  const x = job.extra
  const key = x?.key
  if (key === undefined) return
  const keys = job.queue.keys
  const holder = keys.get(key)
  if (holder === undefined || holder === job || !(holder.state === WAITING || holder.state === DELAYED)) keys.set(key, job)
  else x!.key = undefined
}

/** Make `job` runnable in its lane. */
function enqueueReady(job: JobRecord): void {
  const q = job.queue
  job.state = WAITING
  job.runAt = undefined
  q.counts.waiting++
  const lane = job.lane
  if (lane.held !== job) lane.ready.push(job)
  q.offer(lane)
}

function enqueueDelayed(s: PipelineState, job: JobRecord, runAt: number): void {
  job.state = DELAYED
  job.runAt = runAt
  job.queue.counts.delayed++
  s.delayed.push(job)
}

function joinLane(job: JobRecord, lane: Lane): void {
  job.lane = lane
  lane.members++
}

export function addJob(s: PipelineState, q: QueueState, id: number, time: number, p: AddParams, data: ByteSpan): JobRecord {
  const lane = q.lane(p.group)
  lane.members++
  const job = new JobRecord(id, lane, p.priority, p.maxAttempts > 0 ? p.maxAttempts : q.attempts, time)
  s.store.retain(job, data)
  if (p.key !== undefined || p.tags !== undefined || p.backoff !== undefined || p.timeout > 0) {
    const x = job.ext()
    x.key = p.key
    x.tags = p.tags
    x.backoff = p.backoff
    if (p.timeout > 0) x.timeout = p.timeout
    if (p.tags !== undefined) indexTags(s, job, p.tags)
    claimKey(job)
  }
  s.jobs.set(id, job)
  if (id > s.maxJobId) s.maxJobId = id
  q.totals.added++
  if (p.runAt > time) enqueueDelayed(s, job, p.runAt)
  else enqueueReady(job)
  return job
}

/** Move delayed jobs whose time has come into their lanes. Returns how many moved. */
export function promoteDue(s: PipelineState, now: number): number {
  let n = 0
  for (let top = s.delayed.peek(); top !== undefined && top.runAt! <= now; top = s.delayed.peek()) {
    s.delayed.pop()
    top.queue.counts.delayed--
    enqueueReady(top)
    n++
  }
  return n
}

/**
 * A start logged for a job the fold still holds as delayed. Live, promotion
 * from delayed to waiting happens on a timer and logs nothing, and only a
 * waiting job is started; so the start is itself the record that the job was
 * promoted. Driven by the event, not by comparing times, so a clock that went
 * back between the promotion and the start cannot make replay disagree.
 */
export function promoteForStart(s: PipelineState, job: JobRecord): void {
  s.delayed.remove(job)
  job.queue.counts.delayed--
  enqueueReady(job)
}

export function startJob(job: JobRecord, time: number): void {
  const q = job.queue
  if (job.hi >= 0) job.lane.ready.remove(job) // replay: the live path already took it out
  q.counts.waiting--
  q.counts.active++
  job.state = ACTIVE
  job.attempts++
  job.startedAt = time
  job.lane.running++
  releaseKey(job)
}

/** Undo a start whose event never became durable (the job goes back exactly as it was). */
export function revertStart(job: JobRecord): void {
  if (job.state !== ACTIVE) return
  const lane = job.lane
  lane.running--
  job.queue.counts.active--
  job.attempts--
  job.startedAt = undefined
  reclaimKey(job)
  enqueueReady(job)
}

function leaveActive(job: JobRecord): Lane {
  const lane = job.lane
  lane.running--
  job.queue.counts.active--
  return lane
}

function evictCompleted(s: PipelineState, q: QueueState, now: number): void {
  const maxAge = q.keepCompletedAgeMs
  for (let head = q.completed.peek(); head !== undefined; head = q.completed.peek()) {
    if (head.state === COMPLETED) {
      const tooMany = q.counts.completed > q.keepCompleted
      const tooOld = maxAge > 0 && now - (head.extra?.finishedAt ?? 0) > maxAge
      if (!tooMany && !tooOld) break
      q.counts.completed--
      forget(s, head)
      head.state = REMOVED
    }
    q.completed.shift()
  }
}

export function completeJob(s: PipelineState, job: JobRecord, time: number, result: Uint8Array | undefined): void {
  const q = job.queue
  const lane = leaveActive(job)
  if (lane.held === job) lane.held = null
  q.leave(lane)
  q.offer(lane)
  job.state = COMPLETED
  if (result !== undefined && result.length > 0) job.ext().result = result
  if (job.extra !== null) job.ext().finishedAt = time
  else if (q.keepCompletedAgeMs > 0 || q.keepCompleted > 0) job.ext().finishedAt = time
  q.counts.completed++
  q.totals.completed++
  if (q.keepCompleted > 0) q.completed.push(job)
  else {
    q.counts.completed--
    forget(s, job)
  }
  evictCompleted(s, q, time)
}

export function failJob(
  s: PipelineState, job: JobRecord, time: number, outcome: number, retryAt: number,
  message: string, stack: string | undefined,
): void {
  const q = job.queue
  const lane = leaveActive(job)
  if (outcome === RELEASE) {
    job.attempts--
    job.startedAt = undefined
    reclaimKey(job)
    job.note('waiting', time, message)
    enqueueReady(job)
    return
  }
  job.addError(message, stack, time)
  q.totals.failed++
  // A serial lane stops until the job succeeds. A one-at-a-time group keeps its order through a
  // retry (and its backoff delay): the later jobs of the group wait, as they did while it ran.
  if (q.serial || (outcome !== TO_DEAD && lane.group !== undefined && lane.limit === 1)) lane.held = job
  else if (lane.held === job) lane.held = null // a group job held through its retries dies: its group goes on
  if (outcome === TO_DEAD) {
    job.state = DEAD
    job.ext().finishedAt = time
    job.note('dead', time, message)
    q.counts.dead++
    q.totals.dead++
    q.dead.add(job)
    if (lane.held !== job) q.leave(lane)
  } else {
    q.totals.retried++
    reclaimKey(job)
    if (outcome === RETRY_AT && retryAt > time) {
      job.note('delayed', time, message)
      enqueueDelayed(s, job, retryAt)
    } else {
      job.note('waiting', time, message)
      enqueueReady(job)
    }
  }
  q.offer(lane)
}

/** Take a non-running job out of wherever it sits (keeps it in the job map). */
function detach(s: PipelineState, job: JobRecord): void {
  const q = job.queue
  const lane = job.lane
  switch (job.state) {
    case WAITING:
      if (job.hi >= 0) lane.ready.remove(job)
      q.counts.waiting--
      break
    case DELAYED:
      s.delayed.remove(job)
      q.counts.delayed--
      break
    case DEAD:
      q.dead.delete(job)
      q.counts.dead--
      if (lane.held !== job) return // a dead job in a normal queue has already left its lane
      break
    case COMPLETED:
      q.counts.completed-- // stays in the completed deque; skipped lazily
      return
    default:
      throw new Error(`cannot detach a job in state ${job.state}`)
  }
  if (lane.held === job) lane.held = null
  releaseKey(job)
  q.leave(lane)
  q.offer(lane)
}

export function retryJob(job: JobRecord, time: number): void {
  const q = job.queue
  q.dead.delete(job)
  q.counts.dead--
  job.attempts = 0
  if (job.extra !== null) job.extra.finishedAt = undefined
  job.note('waiting', time, 'retried by hand')
  if (job.lane.held !== job) joinLane(job, q.lane(job.lane.group))
  reclaimKey(job)
  enqueueReady(job)
}

export function removeJob(s: PipelineState, job: JobRecord, time: number): void {
  detach(s, job)
  forget(s, job)
  job.state = REMOVED
  job.note('removed', time)
}

/** Move a waiting, delayed or dead job to another queue (same id, fresh attempts). */
export function moveJob(s: PipelineState, job: JobRecord, to: QueueState, time: number, data: Uint8Array | undefined): void {
  const from = job.queue
  detach(s, job)
  if (job.state === COMPLETED) job.ext().finishedAt = undefined
  joinLane(job, to.lane(job.lane.group))
  job.attempts = 0
  job.maxAttempts = to.attempts
  if (data !== undefined) {
    s.store.release(job)
    s.store.retain(job, data)
  }
  job.note('moved', time, `from ${from.name}`)
  to.totals.added++
  reclaimKey(job)
  enqueueReady(job)
}

export function replaceData(s: PipelineState, job: JobRecord, data: Uint8Array): void {
  s.store.release(job)
  s.store.retain(job, data)
}

export function setBackoff(job: JobRecord, backoff: StoredBackoff | undefined): void {
  job.ext().backoff = backoff
}
