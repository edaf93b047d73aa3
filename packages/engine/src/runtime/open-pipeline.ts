/**
 * Opening a pipeline: open its log, load the newest snapshot, replay the
 * tail through `apply`, then settle what the crash left behind: a job that
 * was running goes back to waiting with the attempt counted ("worker lost"),
 * or to dead if it has none left. That decision is logged like any failure.
 */
import { join } from 'node:path'
import { SlabWriter } from '../codec/bytes.js'
import { EV_FAIL } from '../codec/event-types.js'
import { apply, retainsPayload } from '../state/apply.js'
import { ACTIVE } from '../state/job.js'
import { PipelineState } from '../state/pipeline-state.js'
import { RETRY_NOW, TO_DEAD } from '../state/transitions.js'
import { decodeSnapshot } from '../snapshot/read.js'
import { MemoryLog } from '../log/memory-log.js'
import { WalLog } from '../log/wal-log.js'
import type { EventLog } from '../log/event-log.js'
import type { DurabilityMode, Logger } from '../types.js'
import { APPLY } from './committer.js'
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
  walOptions: Record<string, unknown>
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
  ms: number
}

/** Rebuild a state from a log: newest snapshot + replay of the tail. */
export async function loadState(name: string, log: EventLog): Promise<{ state: PipelineState; snapshotLsn: number | null; replayed: number }> {
  const snap = await log.latestSnapshot()
  const state = snap === null ? new PipelineState(name) : decodeSnapshot(name, snap.data, snap.lsn)
  if (snap !== null) state.lsn = snap.lsn
  // Replayed payloads are views into the reader's reused buffer: bytes the state keeps are copied into slabs.
  const arena = new SlabWriter()
  let expected = state.lsn + 1
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
    apply(state, type, bytes, lsn)
  })
  return { state, snapshotLsn: snap === null ? null : snap.lsn, replayed }
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
  const { state, snapshotLsn, replayed } = loaded
  const p = new Pipeline(state, log, o.settings, o.events)
  p.runs = new RunManager(p)
  p.workers = new WorkerPool(p)
  p.timers = new Timers(p)
  p.cron = new CronSchedules(p)
  p.snapshotter = new Snapshotter(p, o.snapshotPolicy)
  p.snapshotter.lastSnapshotLsn = snapshotLsn ?? 0

  let workerLost = 0
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
  p.timers.arm()
  return { pipeline: p, recovery: { snapshotLsn, replayed, workerLost, ms: performance.now() - t0 } }
}
