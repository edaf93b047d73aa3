/**
 * Adding jobs: validation and encoding (data encoded once, here), unique
 * keys, back-pressure, single and bulk adds. Nothing is applied until the
 * record is durable; the returned promise resolves then.
 */
import { encodeValue } from '../codec/data.js'
import { checkAddOptions } from './check-options.js'
import { EV_ADD, EV_ADD_BULK, EV_ADD_BULK_PART, EV_REPLACE } from '../codec/event-types.js'
import type { AddStrings } from '../codec/add-body.js'
import { QueueFullError } from '../errors.js'
import { ARENA_MIN_BYTES } from '../state/data-arena.js'
import { DELAYED, WAITING } from '../state/job.js'
import { emptyAddParams, type AddParams } from '../state/pipeline-state.js'
import { APPLY, type CommitWaiter } from './committer.js'
import { toStoredBackoff } from './backoff.js'
import { Job } from './job-handle.js'
import type { Pipeline } from './pipeline.js'
import type { QueueRuntime, SpaceWaiter } from './queue-runtime.js'
import type { AddOptions, BulkItem } from '../types.js'

export interface PreparedAdd {
  rt: QueueRuntime
  queueId: number
  jobId: number
  params: AddParams
  ids: AddStrings | null
  data: Uint8Array
}

/** Jobs added but not yet durable, by unique key (`<queueId>\0<key>`), so a duplicate waits for the original. */
const pendingKeys = new WeakMap<Pipeline, Map<string, Job>>()

function keysOf(p: Pipeline): Map<string, Job> {
  let m = pendingKeys.get(p)
  if (m === undefined) pendingKeys.set(p, (m = new Map()))
  return m
}

/** When the job may run (0: now), in whole ms: the log holds integers, and rounding up never runs it early. */
function runAtOf(o: AddOptions, now: number): number {
  if (o.runAt !== undefined) return Math.ceil(typeof o.runAt === 'number' ? o.runAt : o.runAt.getTime())
  if (o.delay !== undefined && o.delay > 0) return Math.ceil(now + o.delay)
  return 0
}

/**
 * Validate and encode one add. Throws (writing nothing) on bad data. `into` reuses a scratch object;
 * `encoded` is the data already encoded (an add that waited for room).
 */
export function prepareAdd(p: Pipeline, queue: string, data: unknown, o: AddOptions, now = p.now(), into?: PreparedAdd, encoded?: Uint8Array): PreparedAdd {
  // Transient: every caller copies the bytes into an event before encoding anything else.
  const bytes = encoded ?? encodeValue(data, p.settings.maxDataBytes, 'job data', true)
  const q = p.queueState(queue)
  const params = into?.params ?? emptyAddParams()
  params.group = undefined
  params.tags = undefined
  params.priority = o.priority ?? 0
  params.runAt = runAtOf(o, now)
  params.key = o.key
  params.maxAttempts = o.attempts === Infinity ? Number.MAX_SAFE_INTEGER : o.attempts ?? 0
  params.backoff = toStoredBackoff(o.backoff)
  params.timeout = o.timeout === undefined ? 0 : Math.ceil(o.timeout)
  let ids: AddStrings | null = null
  if (o.group !== undefined || (o.tags !== undefined && o.tags.length > 0)) {
    params.group = o.group
    params.tags = o.tags
    ids = { group: o.group === undefined ? 0 : p.intern(o.group), tags: o.tags?.map((t) => p.intern(t)) }
  }
  if (into !== undefined) {
    into.rt = p.queueRuntime(q)
    into.queueId = q.id
    into.jobId = ++p.state.maxJobId
    into.ids = ids
    into.data = bytes
    return into
  }
  return { rt: p.queueRuntime(q), queueId: q.id, jobId: ++p.state.maxJobId, params, ids, data: bytes }
}

/**
 * Validate and encode the template of a schedule's runs: like prepareAdd, but the template is not a job and takes
 * no job id (ids are dense; a burnt one would leave a hole). Giving it back is safe: prepareAdd took it
 * synchronously, so no other add can have taken one since.
 */
export function prepareTemplate(p: Pipeline, queue: string, data: unknown, o: AddOptions): PreparedAdd {
  const a = prepareAdd(p, queue, data, o)
  p.state.maxJobId--
  a.jobId = 0
  return a
}

/** Scratch for single adds: encoding is synchronous, so one object serves every call. */
const scratch: PreparedAdd = { rt: null as unknown as QueueRuntime, queueId: 0, jobId: 0, params: emptyAddParams(), ids: null, data: new Uint8Array(0) }

class AddWaiter implements CommitWaiter {
  constructor(private readonly rt: QueueRuntime, private readonly job: Job, private readonly pendingKey: string | null, private readonly p: Pipeline) {}
  committed(): void {
    this.rt.inflightAdds--
    if (this.pendingKey !== null) keysOf(this.p).delete(this.pendingKey)
    this.job.settleAdd(null)
  }
  failed(err: Error): void {
    this.rt.inflightAdds--
    if (this.pendingKey !== null) keysOf(this.p).delete(this.pendingKey)
    this.job.settleAdd(err)
  }
}

/** Handle a unique-key duplicate; returns undefined when `key` is free. */
function duplicate(p: Pipeline, queue: string, data: unknown, o: AddOptions): Promise<Job> | undefined {
  const q = p.state.queuesByName.get(queue)
  const pk = q === undefined ? undefined : keysOf(p).get(`${q.id}\0${o.key}`)
  const existing = q?.keys.get(o.key!)
  const live = existing !== undefined && (existing.state === WAITING || existing.state === DELAYED) ? existing : undefined
  if (pk === undefined && live === undefined) return undefined
  const handle = pk ?? new Job(p, live!.id, queue)
  if (o.onDuplicate !== 'replace') return pk ? pk.added : Promise.resolve(handle)
  // Replace: logged after the original add, applied once durable. The job is locked so it is not
  // started between now and then (the run would use data the log says was replaced).
  const bytes = encodeValue(data, p.settings.maxDataBytes)
  const id = pk ? pk.numericId : live!.id
  p.lock(id)
  return new Promise<Job>((resolve, reject) => {
    p.committer.submit(EV_REPLACE, p.ew.jobBytes(p.now(), id, bytes), APPLY, {
      committed: () => { p.unlock(id); (pk ? pk.added : Promise.resolve(handle)).then(resolve, reject) },
      failed: (err) => { p.unlock(id); reject(err) },
    }, true)
  })
}

/** Add one job; resolves with its handle once the add is durable and applied. */
export function addOne(p: Pipeline, queue: string, data: unknown, o: AddOptions): Promise<Job> {
  try {
    p.checkOpen()
    checkAddOptions(o)
    if (o.key !== undefined) {
      const dup = duplicate(p, queue, data, o)
      if (dup !== undefined) return dup
    }
    const rt = p.queueRuntime(p.queueState(queue))
    if (rt.maxPending !== Infinity) {
      // Adds already waiting go first: room is taken in arrival order.
      if (rt.spaceWaiters.size > 0) rt.releaseSpace()
      if (rt.full) return addWhenRoom(p, rt, queue, data, o)
    }
    return submitAdd(p, rt, queue, data, o)
  } catch (err) {
    return Promise.reject(err)
  }
}

/**
 * An add to a full queue. The data is encoded now, so bad data is refused
 * before waiting and encoded once; the add then waits in line and is
 * submitted as soon as a job leaves (releaseSpace), without a promise per
 * wake-up. Its handle is made now, so the promise the caller awaits is the
 * one the add record settles (no second promise adopting the first); the id
 * is given when it is admitted. Adds still waiting when the pipeline closes
 * fail with EngineClosedError.
 */
function addWhenRoom(p: Pipeline, rt: QueueRuntime, queue: string, data: unknown, o: AddOptions): Promise<Job> {
  // Not transient: the bytes must outlive later encodes while this add waits.
  const bytes = encodeValue(data, p.settings.maxDataBytes)
  if (rt.onFull === 'reject') throw new QueueFullError(rt.state.name, rt.maxPending)
  const job = new Job(p, 0, queue)
  rt.spaceWaiters.push(new WaitingAdd(p, rt, queue, data, o, bytes, job))
  return job.added
}

class WaitingAdd implements SpaceWaiter {
  constructor(
    private readonly p: Pipeline,
    private readonly rt: QueueRuntime,
    private readonly queue: string,
    private readonly data: unknown,
    private readonly o: AddOptions,
    private readonly bytes: Uint8Array,
    private readonly job: Job,
  ) {}

  admit(): void {
    const { p, job, o } = this
    try {
      p.checkOpen()
      const dup = o.key === undefined ? undefined : duplicate(p, this.queue, this.data, o)
      if (dup !== undefined) job.adopt(dup)
      else submitAdd(p, this.rt, this.queue, this.data, o, this.bytes, job)
    } catch (err) {
      job.settleAdd(err as Error)
    }
  }

  refuse(err: Error): void {
    this.job.settleAdd(err)
  }
}

/** Log one add; `job` is the handle made when it started waiting for room, if it did. */
function submitAdd(p: Pipeline, rt: QueueRuntime, queue: string, data: unknown, o: AddOptions, encoded?: Uint8Array, waited?: Job): Promise<Job> {
  const now = p.now()
  const a = prepareAdd(p, queue, data, o, now, scratch, encoded)
  let job: Job
  if (waited === undefined) job = new Job(p, a.jobId, queue)
  else {
    job = waited
    job.assignId(a.jobId)
  }
  const pendingKey = o.key !== undefined ? `${a.queueId}\0${o.key}` : null
  logAdd(p, rt, a, now, pendingKey === null ? job.waiter(rt) : new AddWaiter(rt, job, pendingKey, p))
  if (pendingKey !== null) keysOf(p).set(pendingKey, job)
  return job.added
}

/** Log a prepared single add; `waiter` hears when it is durable and applied. Nothing is left behind if it throws. */
function logAdd(p: Pipeline, rt: QueueRuntime, a: PreparedAdd, now: number, waiter: CommitWaiter): void {
  // Large data goes to the arena's recycled blocks and is logged as the record's tail (see DataArena).
  const arena = a.data.length >= ARENA_MIN_BYTES ? p.state.store.arena : null
  const tail = arena === null ? null : arena.stage(a.data)
  const payload = tail === null ? p.ew.add(now, a.queueId, a.jobId, a.params, a.ids, a.data) : p.ew.addHead(now, a.queueId, a.jobId, a.params, a.ids, tail.length)
  rt.inflightAdds++
  try {
    p.committer.submit(EV_ADD, payload, APPLY, waiter, true, tail)
  } catch (err) {
    rt.inflightAdds--
    if (tail !== null) arena!.settle(tail)
    throw err
  }
}

/** Waits for pushed adds, which nobody awaits: one per queue runtime, so a push allocates no handle or promise. */
export function pushWaiter(rt: QueueRuntime): CommitWaiter {
  return (rt.pushWaiter ??= {
    committed: () => { rt.inflightAdds-- },
    // The log is broken: the pipeline reports it through the engine's 'error' event.
    failed: () => { rt.inflightAdds-- },
  })
}

/**
 * Add one job without a handle or a promise (`Queue.push`). Logged like `addOne`; the caller learns of a failed
 * write from the engine's 'error' event. A unique key needs an answer about its duplicate, and a full queue one
 * about waiting, so both are refused here (use `add`).
 */
export function pushOne(p: Pipeline, queue: string, data: unknown, o: AddOptions): number {
  p.checkOpen()
  checkAddOptions(o)
  if (o.key !== undefined) throw new TypeError('push() takes no unique key: a duplicate needs an answer, use add()')
  const rt = p.queueRuntime(p.queueState(queue))
  if (rt.maxPending !== Infinity && rt.full) throw new QueueFullError(rt.state.name, rt.maxPending)
  const now = p.now()
  const a = prepareAdd(p, queue, data, o, now, scratch)
  logAdd(p, rt, a, now, pushWaiter(rt))
  return a.jobId
}

const BULK_RECORD_BYTES = 64 * 1024 // small next to a slab, so little slab space is wasted

/**
 * Add many jobs: encoded straight into few records (one per ~64 KiB), all
 * awaited together. Every item is encoded before anything is pushed, so a
 * bad item refuses the whole batch with nothing written. Several records are
 * parts of one bulk (EV_ADD_BULK_PART ... EV_ADD_BULK), applied together, so
 * a write that fails part way adds none of them. Items with a unique key go
 * through `addOne`.
 */
export async function addBulk(p: Pipeline, queue: string, items: BulkItem[]): Promise<Job[]> {
  p.checkOpen()
  // Every item's options before anything is logged: keyed items go in after the bulk's records.
  for (const it of items) if (it.options !== undefined) checkAddOptions(it.options)
  const out: (Job | Promise<Job>)[] = new Array(items.length)
  const now = p.now()
  const q = p.queueState(queue)
  const rt = p.queueRuntime(q)
  if (rt.maxPending !== Infinity) {
    // On a bounded queue the items go in as single adds (each may wait for room), so refuse the whole bulk
    // first wherever that can be known: bad data in any item, or (onFull 'reject') more items than the room.
    for (const it of items) encodeValue(it.data, p.settings.maxDataBytes)
    if (rt.onFull === 'reject') {
      if (rt.spaceWaiters.size > 0) rt.releaseSpace()
      if (rt.pending + items.length > rt.maxPending) throw new QueueFullError(rt.state.name, rt.maxPending)
    }
    for (let i = 0; i < items.length; i++) out[i] = addOne(p, queue, items[i].data, items[i].options ?? {})
    return Promise.all(out)
  }
  // Intern every group and tag first: interning logs a record, which must not land inside a record being encoded.
  for (const it of items) {
    const o = it.options
    if (o === undefined) continue
    if (o.group !== undefined) p.intern(o.group)
    if (o.tags !== undefined) for (const t of o.tags) p.intern(t)
  }
  const ew = p.ew
  const payloads: Uint8Array[] = []
  const counts: number[] = []
  let inRecord = 0
  for (let i = 0; i < items.length; i++) {
    const o = items[i].options
    if (o?.key !== undefined) continue
    const a = prepareAdd(p, queue, items[i].data, o ?? {}, now, scratch)
    if (inRecord === 0) ew.bulkBegin(now, q.id)
    ew.bulkItem(a.jobId, a.params, a.ids, a.data)
    out[i] = new Job(p, a.jobId, queue, true)
    if (++inRecord >= 4096 || ew.w.length >= BULK_RECORD_BYTES) {
      payloads.push(ew.end())
      counts.push(inRecord)
      inRecord = 0
    }
  }
  if (inRecord > 0) {
    payloads.push(ew.end())
    counts.push(inRecord)
  }
  const records: Promise<void>[] = []
  for (let k = 0; k < payloads.length; k++) {
    const count = counts[k]
    rt.inflightAdds += count
    records.push(new Promise<void>((resolve, reject) => {
      try {
        // All but the last record are parts, held until the last is applied: the bulk is added whole or not at all.
        p.committer.submit(k === payloads.length - 1 ? EV_ADD_BULK : EV_ADD_BULK_PART, payloads[k], APPLY, {
          committed: () => { rt.inflightAdds -= count; resolve() },
          failed: (err) => { rt.inflightAdds -= count; reject(err) },
        }, true)
      } catch (err) {
        rt.inflightAdds -= count
        reject(err)
      }
    }))
  }
  let keyed = false
  for (let i = 0; i < items.length; i++) {
    if (out[i] !== undefined) continue
    out[i] = addOne(p, queue, items[i].data, items[i].options!)
    keyed = true
  }
  await Promise.all(records)
  // Promise.all over plain handles would allocate a promise and two closures per job for nothing.
  return keyed ? Promise.all(out) : (out as Job[])
}
