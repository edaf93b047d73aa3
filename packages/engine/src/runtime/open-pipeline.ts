/**
 * Opening a pipeline: open its log, load the newest snapshot, replay the
 * tail through `apply`, then settle what the crash left behind: a job that
 * was running goes back to waiting with the attempt counted ("worker lost"),
 * or to dead if it has none left. That decision is logged like any failure.
 */
import { join } from 'node:path'
import { EV_CLOSE, EV_FAIL, EV_OPEN } from '../codec/event-types.js'
import { ByteReader, SlabWriter } from '../codec/bytes.js'
import { applyLogged, dropBulkParts, retainsPayload } from '../state/apply.js'
import { ACTIVE } from '../state/job.js'
import { PipelineState } from '../state/pipeline-state.js'
import { RETRY_NOW, TO_DEAD } from '../state/transitions.js'
import { decodeSnapshot } from '../snapshot/read.js'
import { MemoryLog } from '../log/memory-log.js'
import { WalLog } from '../log/wal-log.js'
import type { EventLog } from '../log/event-log.js'
import type { DurabilityMode, EngineWalOptions, Logger } from '../types.js'
import { APPLY, NOTE } from './committer.js'
import { CronSchedules } from './cron.js'
import type { EngineEvents } from './engine-events.js'
import type { Emitter } from './emitter.js'
import { Pipeline, type PipelineSettings } from './pipeline.js'
import { RunManager } from './runs.js'
import { Snapshotter, type SnapshotPolicy } from './snapshotter.js'
import { Timers } from './timers.js'
import { WorkerPool } from './workers.js'

export interface OpenPipelineOptions {
  root: string | undefined
  durability: DurabilityMode
  walOptions: EngineWalOptions
  snapshotPolicy: SnapshotPolicy | null
  settings: PipelineSettings
  events: Emitter<EngineEvents>
  /** Tests: use this log instead of opening one. */
  log?: EventLog
}

export interface RecoveryStats {
  snapshotLsn: number | null
  replayed: number
  workerLost: number
  /** Whether the log ends with a clean close (false after a crash or a kill). */
  cleanStop: boolean
  /** Jobs with ids up to this one are started only once their start is logged (0: none); see `carefulStarts`. */
  carefulThrough: number
  ms: number
}

/** Rebuild a state from a log: newest snapshot + replay of the tail. */
export async function loadState(name: string, log: EventLog): Promise<{ state: PipelineState; snapshotLsn: number | null; replayed: number; closedThrough: number | null; changedSinceSnapshot: boolean }> {
  const snap = await log.latestSnapshot()
  const state = snap === null ? new PipelineState(name) : decodeSnapshot(name, snap.data, snap.lsn)
  if (snap !== null) state.lsn = snap.lsn
  // Replayed payloads are views into the reader's reused buffer: bytes the state keeps are copied into slabs.
  const arena = new SlabWriter()
  let expected = state.lsn + 1
  let lastType = 0
  let lastPayload: Uint8Array | null = null
  let changedSinceSnapshot = false
  const replayed = await log.replay(state.lsn + 1, (lsn, type, payload) => {
    if (lsn !== expected) {
      throw new Error(`pipeline "${name}": the log continues at LSN ${lsn} but the state needs LSN ${expected} ` +
        `(${snap === null ? 'no snapshot' : `snapshot at ${snap.lsn}`}); were segments compacted away without their snapshot?`)
    }
    expected++
    let bytes = payload
    if (retainsPayload(type)) {
      arena.begin()
      arena.raw(payload)
      bytes = arena.end()
    }
    applyLogged(state, type, bytes, lsn)
    lastType = type
    lastPayload = type === EV_CLOSE ? payload.slice() : null
    if (type !== EV_OPEN && type !== EV_CLOSE) changedSinceSnapshot = true
  })
  // A bulk whose last part never came (the process died, or its write failed, part way through): none of it.
  if (state.bulkParts.length > 0) dropBulkParts(state)
  return { state, snapshotLsn: snap === null ? null : snap.lsn, replayed, closedThrough: lastType === EV_CLOSE ? closeCarefulThrough(lastPayload!) : null, changedSinceSnapshot }
}

/** The careful-start bound a close record carries. */
function closeCarefulThrough(payload: Uint8Array): number {
  const r = new ByteReader(payload)
  r.uint() // time
  return r.uint()
}

/**
 * Careful starts. A start record rides with the next flush, after the handler
 * has begun, so a handler that kills the process at once (a crash in native
 * code, an abort, running out of memory) dies before its start is logged, and
 * its attempt would never be counted: the job would crash every process that
 * picks it up, forever. So after a stop that was not a clean close, every job
 * that existed then (ids up to the highest in the log) is started only once
 * its start record has reached the OS. If it crashes the process again, that
 * attempt is counted, and after its last attempt it is dead: the first crash
 * goes uncounted, every later one counts. Jobs added after the restart take
 * the usual path. A clean close passes the bound on while such jobs remain,
 * so an operator's clean open and close between two crashes does not reset it.
 */
export function carefulStartsThrough(state: PipelineState, closedThrough: number | null): number {
  // Ended with a clean close: whatever bound that close passed on (usually 0).
  if (closedThrough !== null) return closedThrough
  // Anything else was a crash or a kill (or a log without a job yet: 0, nothing to be careful with).
  return state.maxJobId
}

export async function openPipeline(o: OpenPipelineOptions): Promise<{ pipeline: Pipeline; recovery: RecoveryStats }> {
  const t0 = performance.now()
  const name = o.settings.name
  let log = o.log
  if (log === undefined) {
    if (o.durability === 'memory') log = new MemoryLog()
    else {
      if (o.root === undefined) throw new TypeError('Engine.open: `dir` is required unless durability is "memory"')
      log = await WalLog.open(join(o.root, name), o.durability, o.walOptions, o.settings.logger)
    }
  }
  let loaded
  try {
    loaded = await loadState(name, log)
  } catch (err) {
    await log.close().catch(() => {})
    throw err
  }
  const { state, snapshotLsn, replayed, closedThrough, changedSinceSnapshot } = loaded
  const p = new Pipeline(state, log, o.settings, o.events)
  p.runs = new RunManager(p)
  p.workers = new WorkerPool(p)
  p.timers = new Timers(p)
  p.cron = new CronSchedules(p)
  p.snapshotter = new Snapshotter(p, o.snapshotPolicy)
  p.snapshotter.lastSnapshotLsn = snapshotLsn ?? 0

  let workerLost = 0
  let cleanStop: boolean
  try {
    const now = p.now()
    for (const job of state.jobs.values()) {
      if (job.state !== ACTIVE) continue
      workerLost++
      const outcome = job.attempts >= job.maxAttempts ? TO_DEAD : RETRY_NOW
      p.committer.submit(EV_FAIL, p.ew.fail(now, job.id, outcome, 0, 'worker lost', ''), APPLY, null, true)
    }
    if (workerLost > 0) {
      o.settings.logger.warn({ pipeline: name, jobs: workerLost }, 'jobs that were running when the process stopped go back (worker lost)')
      await p.committer.idle()
    }
    cleanStop = closedThrough !== null || (replayed === 0 && snapshotLsn === null)
    // Open and close records tell a crash from a clean stop; a memory log has neither, and no restart to count across.
    p.logsRunBoundaries = o.durability !== 'memory'
    p.carefulThrough = p.logsRunBoundaries ? carefulStartsThrough(state, closedThrough) : 0
    if (p.logsRunBoundaries) {
      // From here until a clean close, the log must not end with the last run's close record:
      // a crash before this process logs anything else would look like a clean stop.
      const openLsn = p.committer.submit(EV_OPEN, p.ew.open(now), NOTE, null)
      // Open and close records change no state: a snapshot that covered everything before them still does.
      if (snapshotLsn !== null && !changedSinceSnapshot && workerLost === 0) p.snapshotter.coveredThrough = openLsn
      await p.log.written()
    }
    // A write that failed while opening (a worker-lost or the open record) stopped the pipeline: fail the open,
    // rather than hand back an engine that refuses every call.
    await p.committer.idle()
    if (p.committer.broken !== null) throw p.committer.broken
    if (!cleanStop && p.carefulThrough > 0) {
      o.settings.logger.info({ pipeline: name, throughJob: p.carefulThrough },
        'the last run did not close cleanly: the jobs that existed then start only once their start is logged, so one that crashes the process has its attempts counted')
    }
  } catch (err) {
    // Release the directory (its lock) so a later open, once the fault is gone, can take it.
    await log.close().catch(() => {})
    throw err
  }
  p.timers.arm()
  return { pipeline: p, recovery: { snapshotLsn, replayed, workerLost, cleanStop, carefulThrough: p.carefulThrough, ms: performance.now() - t0 } }
}
