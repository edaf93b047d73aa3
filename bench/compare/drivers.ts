/**
 * Runs one workload against an open BenchQueue, inside the measuring child.
 * Each driver times only its own phase; setup (prefilling, starting workers
 * for process runs) happens before the clock starts.
 */
import type { BenchQueue, WorkerHooks } from './adapters/bench-queue.js'
import { CompletionCounter } from './completion.js'
import { LatencyRecorder, summarize } from './latency.js'
import type { WorkloadResult } from './measurement.js'
import { payloadMaker } from './payload.js'
import { Producer } from './producer.js'
import { ADD_WINDOW, BULK_BATCH, type Workload } from './workloads.js'

type Timed = Omit<WorkloadResult, 'type' | 'rssMb'>

export async function runWorkload(queue: BenchQueue, workload: Workload, maxSeconds: number): Promise<Timed> {
  switch (workload.kind) {
    case 'enqueue-one':
      return enqueueOneByOne(queue, workload, maxSeconds)
    case 'enqueue-bulk':
      return enqueueBulk(queue, workload, maxSeconds)
    case 'process':
      return processBacklog(queue, workload, maxSeconds)
    case 'e2e':
      return endToEnd(queue, workload, maxSeconds)
    case 'steady':
      return steadyOpenLoop(queue, workload)
  }
}

function timed(done: number, target: number, started: number, ended: number): Timed {
  const seconds = (ended - started) / 1000
  return { jobsPerSec: done / seconds, done, target, seconds, capped: done < target }
}

async function enqueueOneByOne(queue: BenchQueue, w: Workload, maxSeconds: number): Promise<Timed> {
  const ackLatency = new LatencyRecorder(w.count)
  const started = performance.now()
  const producer = new Producer(queue, { count: w.count, window: ADD_WINDOW, makeData: payloadMaker(w.payload), deadline: started + maxSeconds * 1000, slotsFreedBy: 'ack', ackLatency })
  await producer.start()
  return { ...timed(producer.acked, w.count, started, performance.now()), addToAck: summarize(ackLatency) }
}

async function enqueueBulk(queue: BenchQueue, w: Workload, maxSeconds: number): Promise<Timed> {
  const makeData = payloadMaker(w.payload)
  const ackLatency = new LatencyRecorder(Math.ceil(w.count / BULK_BATCH))
  const started = performance.now()
  const deadline = started + maxSeconds * 1000
  let added = 0
  while (added < w.count && performance.now() < deadline) {
    const size = Math.min(BULK_BATCH, w.count - added)
    const batch = new Array(size)
    for (let i = 0; i < size; i++) batch[i] = makeData(performance.now())
    const addedAt = performance.now()
    await queue.addBulk(batch)
    ackLatency.record(performance.now() - addedAt)
    added += size
  }
  return { ...timed(added, w.count, started, performance.now()), addToAck: summarize(ackLatency) }
}

/**
 * Adds up to `count` jobs with the bulk API, untimed, so a process run starts
 * from a full queue. Stops early after `maxSeconds` (a slow peer would spend
 * minutes filling a queue it then only partly drains within the cap anyway);
 * returns how many were added.
 */
export async function prefill(queue: BenchQueue, count: number, payload: number, maxSeconds: number): Promise<number> {
  const makeData = payloadMaker(payload)
  const deadline = performance.now() + maxSeconds * 1000
  let added = 0
  while (added < count && performance.now() < deadline) {
    const size = Math.min(BULK_BATCH, count - added)
    const batch = new Array(size)
    for (let i = 0; i < size; i++) batch[i] = makeData(0)
    await queue.addBulk(batch)
    added += size
  }
  return added
}

/**
 * The clock starts when the first job starts, not when workers are created: a
 * client that needs a connection before its first job (BullMQ) should not have
 * its connection set-up counted as processing time.
 */
async function processBacklog(queue: BenchQueue, w: Workload, maxSeconds: number): Promise<Timed> {
  const waiting = await prefill(queue, w.count, w.payload, maxSeconds * 2)
  const counter = new CompletionCounter(waiting)
  let started = 0
  const hooks: WorkerHooks = {
    onStart() {
      if (started !== 0) return
      started = performance.now()
      counter.until(started + maxSeconds * 1000)
    },
    onComplete: () => counter.complete(),
  }
  // If no job ever starts, give up after a generous start-up allowance.
  const startUpDeadline = setTimeout(() => counter.until(performance.now()), (maxSeconds + 30) * 1000)
  await queue.startWorkers(w.concurrency ?? 1, hooks)
  await counter.finished
  clearTimeout(startUpDeadline)
  if (started === 0) throw new Error('no job started within the start-up allowance')
  // A partial prefill counts as capped: fewer than the workload's jobs were processed.
  return timed(counter.done, w.count, started, counter.finishedAt)
}

function latencyHooks(counter: CompletionCounter, capacity: number) {
  const addToStart = new LatencyRecorder(capacity)
  const addToComplete = new LatencyRecorder(capacity)
  const hooks: WorkerHooks = {
    completionData: true,
    onStart: (data) => addToStart.record(performance.now() - data.t),
    onComplete: (addedAt) => {
      addToComplete.record(performance.now() - addedAt!)
      counter.complete()
    },
  }
  return { hooks, addToStart, addToComplete }
}

/**
 * Warm-up before a latency run, for every system alike: up to WARM_UP_JOBS jobs (a tenth of a small run), or
 * as many as are added in WARM_UP_SECONDS, so that connections, scripts and the JIT are warm. An end-to-end
 * run of 100,000 jobs lasts under a second for the fast systems; with only a few hundred jobs of warm-up it
 * measured V8 compiling the hot paths rather than the steady state the workload names.
 */
const WARM_UP_JOBS = 10_000
const WARM_UP_SECONDS = 1

/**
 * Starts workers whose hooks can be switched: first a warm-up batch is added
 * and awaited with counting-only hooks, then `measured` receives every later job.
 */
async function startWarmWorkers(queue: BenchQueue, w: Workload, measured: WorkerHooks): Promise<void> {
  const warmUpJobs = Math.min(WARM_UP_JOBS, Math.ceil(w.count / 10))
  let warmDone = 0
  let warmTarget = Infinity
  let warmedUp!: () => void
  const allWarmDone = new Promise<void>((resolve) => (warmedUp = resolve))
  let current: WorkerHooks = {
    onStart() {},
    onComplete: () => {
      if (++warmDone >= warmTarget) warmedUp()
    },
  }
  await queue.startWorkers(w.concurrency ?? 100, {
    completionData: measured.completionData,
    onStart: (data) => current.onStart(data),
    onComplete: (addedAt) => current.onComplete(addedAt),
  })
  const deadline = performance.now() + WARM_UP_SECONDS * 1000
  const producer = new Producer(queue, { count: warmUpJobs, window: ADD_WINDOW, makeData: payloadMaker(w.payload), deadline, slotsFreedBy: 'ack' })
  await producer.start()
  warmTarget = producer.issued
  if (warmDone >= warmTarget) warmedUp()
  const stalled = setTimeout(warmedUp, 60_000) // a system that loses warm-up jobs is measured anyway
  await allWarmDone
  clearTimeout(stalled)
  current = measured
}

async function endToEnd(queue: BenchQueue, w: Workload, maxSeconds: number): Promise<Timed> {
  const counter = new CompletionCounter(w.count)
  const { hooks, addToStart, addToComplete } = latencyHooks(counter, w.count)
  let producer: Producer | undefined
  // Each completion frees a producer slot: at most ADD_WINDOW jobs are in the system at any time.
  const onComplete = hooks.onComplete
  hooks.onComplete = (addedAt) => {
    onComplete(addedAt)
    producer?.release()
  }
  await startWarmWorkers(queue, w, hooks)
  const started = performance.now()
  const deadline = started + maxSeconds * 1000
  counter.until(deadline)
  producer = new Producer(queue, { count: w.count, window: ADD_WINDOW, makeData: payloadMaker(w.payload), deadline, slotsFreedBy: 'release' })
  await producer.start()
  await counter.finished
  return { ...timed(counter.done, w.count, started, counter.finishedAt), addToStart: summarize(addToStart), addToComplete: summarize(addToComplete) }
}

/**
 * Offers jobs at a fixed rate whatever the system does (open loop). Each job's
 * clock starts at its scheduled time, not when the add call got to run, so a
 * stalled producer shows up as latency instead of hiding it.
 */
async function steadyOpenLoop(queue: BenchQueue, w: Workload): Promise<Timed> {
  const rate = w.rate ?? 1_000
  const counter = new CompletionCounter(w.count)
  const { hooks, addToStart, addToComplete } = latencyHooks(counter, w.count)
  await startWarmWorkers(queue, w, hooks)
  const makeData = payloadMaker(w.payload)
  const started = performance.now()
  const offerSeconds = w.count / rate
  counter.until(started + (offerSeconds + (w.drainSeconds ?? 5)) * 1000)
  let offered = 0
  let completedWhenOffered = 0
  let failure: unknown
  const onError = (err: unknown) => {
    failure ??= err
  }
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(w.count, Math.floor(((performance.now() - started) * rate) / 1000))
      for (; offered < due; offered++) {
        const pending = queue.add(makeData(started + (offered * 1000) / rate))
        if (pending) pending.catch(onError)
      }
      if (offered === w.count || failure) {
        completedWhenOffered = counter.done
        clearInterval(timer)
        resolve()
      }
    }, 1)
  })
  if (failure) throw failure
  await counter.finished
  const ended = Math.max(counter.finishedAt, started + offerSeconds * 1000)
  return {
    ...timed(counter.done, w.count, started, ended),
    offered,
    completedWhenOffered,
    addToStart: summarize(addToStart),
    addToComplete: summarize(addToComplete),
  }
}
