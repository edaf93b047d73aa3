/**
 * Read-only views of a pipeline for the CLI: the engine's own `apply()`
 * folded over the newest usable snapshot and the WAL tail, read with
 * WalReader (no lock, so it works while an engine runs).
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { WalReader, isWalDir } from '@wq/wal'
import { SlabWriter } from '../codec/bytes.js'
import { applyLogged, retainsPayload } from '../state/apply.js'
import { REMOVED } from '../state/job.js'
import { jobInfo, parseJobId, type JobInfo, type JobState } from '../state/job-info.js'
import { listJobs } from '../state/listing.js'
import { PipelineState } from '../state/pipeline-state.js'
import { decodeSnapshot } from '../snapshot/read.js'
import { eventTime } from './describe.js'
import { EngineError } from '../errors.js'

/**
 * The point asked for (`untilLsn` / `untilTime`) comes before the newest
 * snapshot, and the log records needed to fold up to it were compacted away.
 * Code `HISTORY_COMPACTED`.
 */
export class HistoryCompactedError extends EngineError {
  /** @param earliestLsn the earliest LSN a view can show (the newest snapshot's), 0 when none can. */
  constructor(message: string, readonly earliestLsn: number) {
    super('HISTORY_COMPACTED', message)
  }
}

export interface QueueSummary {
  name: string
  paused: boolean
  counts: { waiting: number; delayed: number; active: number; dead: number; completed: number }
  totals: { added: number; completed: number; failed: number; retried: number; dead: number }
}

/** A recurring job (cron) as the log holds it. Names are per queue. */
export interface ScheduleSummary {
  queue: string
  name: string
  pattern: string
  /** IANA time zone of the pattern; absent: the process's. */
  timezone?: string
  nextRunAt: Date
}

export interface PipelineView {
  pipeline: string
  /** Last LSN folded. */
  lastLsn: number
  /** Snapshot the fold started from, if any. */
  snapshotLsn: number | null
  queues(): QueueSummary[]
  /** The pipeline's schedules, by queue then name. */
  schedules(): ScheduleSummary[]
  jobs(filter?: { queue?: string; state?: JobState; tag?: string; limit?: number; after?: string }): JobInfo[]
  job(id: string): JobInfo | undefined
}

export interface OpenViewOptions {
  pipeline?: string
  /** Fold only records with lsn <= untilLsn. */
  untilLsn?: number
  /** Fold only records written at or before this time. */
  untilTime?: Date
  onProgress?: (done: number, total: number) => void
}

/** Pipelines (WAL directories) under an engine data directory. */
export async function listPipelines(root: string): Promise<string[]> {
  let entries
  try {
    entries = await readdir(root, { withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: string[] = []
  for (const d of entries) if (d.isDirectory() && (await isWalDir(join(root, d.name)))) out.push(d.name)
  return out.sort()
}

class View implements PipelineView {
  constructor(readonly pipeline: string, private readonly state: PipelineState, readonly lastLsn: number, readonly snapshotLsn: number | null) {}

  queues(): QueueSummary[] {
    return [...this.state.queues.values()]
      .map((q) => ({ name: q.name, paused: q.paused, counts: { ...q.counts }, totals: { ...q.totals } }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  schedules(): ScheduleSummary[] {
    return [...this.state.schedules.values()]
      .map((s) => ({ queue: s.queue.name, name: s.name, pattern: s.pattern, ...(s.timezone === undefined ? {} : { timezone: s.timezone }), nextRunAt: new Date(s.nextRunAt) }))
      .sort((a, b) => (a.queue !== b.queue ? (a.queue < b.queue ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  jobs(filter: { queue?: string; state?: JobState; tag?: string; limit?: number; after?: string } = {}): JobInfo[] {
    return listJobs(this.state, this.pipeline, filter)
  }

  job(id: string): JobInfo | undefined {
    const parsed = parseJobId(id)
    if (parsed === undefined) return undefined
    // Accept a bare number for any pipeline (as `wq jobs show 42 --pipeline billing` would pass it).
    if (parsed.pipeline !== this.pipeline && id.includes(':')) return undefined
    const job = this.state.jobs.get(parsed.id)
    return job === undefined || job.state === REMOVED ? undefined : jobInfo(this.pipeline, job)
  }
}

export async function openView(root: string, opts: OpenViewOptions = {}): Promise<PipelineView> {
  const pipeline = opts.pipeline ?? 'default'
  const reader = await WalReader.open(join(root, pipeline))
  const untilLsn = opts.untilLsn ?? Infinity
  const untilMs = opts.untilTime?.getTime() ?? Infinity
  const bounded = opts.untilLsn !== undefined || opts.untilTime !== undefined

  let state = new PipelineState(pipeline)
  let snapshotLsn: number | null = null
  const snap = await reader.latestSnapshot()
  if (snap !== null && (!bounded || (snap.lsn <= untilLsn && snap.createdAt.getTime() <= untilMs))) {
    state = decodeSnapshot(pipeline, snap.data, snap.lsn)
    state.lsn = snap.lsn
    snapshotLsn = snap.lsn
  }
  const segments = reader.segments()
  const lastInLog = segments.length > 0 ? segments[segments.length - 1].lastLsn : 0
  const from = state.lsn + 1
  // Folding from before the snapshot needs every record from `from` on: if compaction removed some,
  // fail clearly instead of folding a partial history (the replay check below would miss an empty log).
  const firstInLog = segments.length > 0 ? segments[0].firstLsn : (snap?.lsn ?? 0) + 1
  if (firstInLog > from) {
    const point = opts.untilLsn !== undefined ? `LSN ${opts.untilLsn}` : opts.untilTime !== undefined ? opts.untilTime.toISOString() : 'the start'
    const covered = snap === null
      ? 'no snapshot covers them'
      : `they were compacted into the snapshot at LSN ${snap.lsn} (taken ${snap.createdAt.toISOString()}), which is later than that`
    throw new HistoryCompactedError(`pipeline "${pipeline}": cannot show the state as of ${point}: it needs the log from LSN ${from}, ` +
      `but the records before LSN ${firstInLog} are gone (${covered})` +
      (snap === null ? '' : `; the earliest point that can be shown is the snapshot's, LSN ${snap.lsn}`), snap?.lsn ?? 0)
  }
  const total = Math.max(0, Math.min(lastInLog, untilLsn) - from + 1)
  const arena = new SlabWriter()
  let done = 0
  let stopped = false
  opts.onProgress?.(0, total)
  let expected = from
  await reader.replay(from, (r) => {
    if (stopped || r.lsn > untilLsn) { stopped = true; return }
    if (r.lsn !== expected) {
      throw new Error(`pipeline "${pipeline}": the log starts at LSN ${r.lsn} but the fold needs LSN ${expected} ` +
        '(the records before it were compacted into a snapshot newer than the point asked for)')
    }
    expected++
    if (untilMs !== Infinity && eventTime(r.payload) > untilMs) { stopped = true; return }
    let bytes = r.payload
    if (retainsPayload(r.type)) {
      arena.begin()
      arena.raw(r.payload)
      bytes = arena.end()
    }
    applyLogged(state, r.type, bytes, r.lsn)
    if (++done % 10_000 === 0) opts.onProgress?.(done, total)
  })
  opts.onProgress?.(done, total)
  return new View(pipeline, state, state.lsn, snapshotLsn)
}
