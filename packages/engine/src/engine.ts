/**
 * `Engine`: the entry point. Owns the pipelines (one WAL directory each),
 * routes job ids to pipelines, aggregates stats, snapshots and compaction.
 */
import { join } from 'node:path'
import { checkEngineOptions } from './runtime/check-options.js'
import { isWalDir, nodeFs, type FileSystem } from '@wq/wal'
import pino from 'pino'
import { EngineClosedError, LeaseError } from './errors.js'
import type { ActiveJob } from './runtime/active-job.js'
import { PipelineHandle } from './pipeline-handle.js'
import type { Queue } from './queue.js'
import { Emitter } from './runtime/emitter.js'
import type { EngineEvents } from './runtime/engine-events.js'
import { Job } from './runtime/job-handle.js'
import { openPipeline, type RecoveryStats } from './runtime/open-pipeline.js'
import type { Pipeline } from './runtime/pipeline.js'
import { queueStats } from './runtime/stats.js'
import { parseJobId } from './state/job-info.js'
import { REMOVED } from './state/job.js'
import type { DurabilityMode, EngineOptions, EngineStats, LeaseOptions, Logger, QueueOptions } from './types.js'

const DEFAULT_PIPELINE = 'default'
const PIPELINE_NAME = /^[A-Za-z0-9_.-]{1,100}$/

/**
 * The pipelines already under `root`: sub-directories that hold a log. Read
 * through the fs the WALs will use (a test's MemoryFs, say), so every pipeline
 * is recovered at open, not when first touched; a directory with no segment or
 * snapshot is someone else's and is left alone.
 */
async function pipelinesOnDisk(root: string, fs: FileSystem): Promise<string[]> {
  let names: string[]
  try {
    names = await fs.readdir(root)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: string[] = []
  for (const name of names) if (PIPELINE_NAME.test(name) && (await isWalDir(join(root, name), fs))) out.push(name)
  return out
}

export class Engine {
  private readonly handles = new Map<string, PipelineHandle>()
  private readonly emitter = new Emitter<EngineEvents>()
  private closing: Promise<void> | null = null
  /** What recovery did for each pipeline opened so far. */
  readonly recovery = new Map<string, RecoveryStats>()
  readonly durability: DurabilityMode
  readonly logger: Logger

  private constructor(private readonly opts: EngineOptions) {
    this.durability = opts.durability ?? 'sync'
    this.logger = opts.logger ?? pino({ level: 'warn' })
  }

  /**
   * Open an engine: every pipeline found under `dir` is recovered (newest
   * snapshot + WAL tail; jobs that were running go back as "worker lost").
   * Rejects with the WAL's lock error if another engine holds the directory.
   */
  static async open(opts: EngineOptions = {}): Promise<Engine> {
    checkEngineOptions(opts)
    const e = new Engine(opts)
    const names = new Set<string>([DEFAULT_PIPELINE])
    if (e.durability !== 'memory') {
      if (opts.dir === undefined) throw new TypeError('Engine.open: `dir` is required unless durability is "memory"')
      for (const name of await pipelinesOnDisk(opts.dir, opts.wal?.fs ?? nodeFs)) names.add(name)
    }
    const handles = [...names].map((n) => e.handle(n))
    const results = await Promise.allSettled(handles.map((h) => h.ready))
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined
    if (failed !== undefined) {
      await Promise.allSettled(handles.map((h) => h.ready.then((p) => p.close({ snapshot: false }))))
      throw failed.reason
    }
    return e
  }

  private handle(name: string): PipelineHandle {
    let h = this.handles.get(name)
    if (h !== undefined) return h
    if (!PIPELINE_NAME.test(name)) throw new TypeError(`invalid pipeline name "${name}" (letters, digits, _ . - only)`)
    if (this.closing !== null) throw new EngineClosedError()
    const o = this.opts
    const se = o.snapshotEvery
    const opening = openPipeline({
      root: o.dir,
      durability: this.durability,
      walOptions: o.wal ?? {},
      snapshotPolicy: se === false ? null : { events: se?.events ?? 1_000_000, bytes: se?.bytes ?? 256 * 2 ** 20, compact: o.compactAfterSnapshot ?? true },
      settings: {
        name,
        maxDataBytes: o.maxDataBytes ?? 2 ** 20,
        closeTimeoutMs: o.closeTimeoutMs ?? 10_000,
        syncEnqueues: this.durability === 'sync-enqueue',
        compactAfterSnapshot: o.compactAfterSnapshot ?? true,
        logger: this.logger,
      },
      events: this.emitter,
    }).then(({ pipeline, recovery }) => {
      this.recovery.set(name, recovery)
      return pipeline
    })
    h = new PipelineHandle(name, opening, this.emitter)
    this.handles.set(name, h)
    return h
  }

  /** A pipeline: its own WAL directory and queues, flushed independently. */
  pipeline(name: string): PipelineHandle {
    return this.handle(name)
  }

  /** Resolves when pipeline `name` is open (new pipelines open in the background). */
  async ready(name = DEFAULT_PIPELINE): Promise<void> {
    await this.handle(name).ready
  }

  /** A queue of the default pipeline. */
  queue<T = any>(name: string, options?: QueueOptions): Queue<T> {
    return this.handle(DEFAULT_PIPELINE).queue<T>(name, options)
  }

  /** Names of the pipelines opened by this engine. */
  pipelines(): string[] {
    return [...this.handles.keys()]
  }

  private open(name: string): Pipeline | null {
    return this.handles.get(name)?.pipeline ?? null
  }

  /** Look a job up by id (`<n>` in the default pipeline, `<pipeline>:<n>` elsewhere). */
  getJob<T = unknown>(id: string): Job<T> | undefined {
    const parsed = parseJobId(id)
    if (parsed === undefined) return undefined
    const p = this.open(parsed.pipeline)
    const r = p?.state.jobs.get(parsed.id)
    if (p == null || r === undefined || r.state === REMOVED) return undefined
    return new Job<T>(p, r.id, r.queue.name, true)
  }

  /** Jobs carrying `tag`, over all pipelines (waiting, delayed, active, dead, and kept completions). */
  jobsByTag(tag: string): Job[] {
    const out: Job[] = []
    for (const h of this.handles.values()) {
      const p = h.pipeline
      const set = p?.state.tags.get(tag)
      if (p == null || set === undefined) continue
      for (const r of set) out.push(new Job(p, r.id, r.queue.name, true))
    }
    return out.sort((a, b) => (a.pipeline === b.pipeline ? a.numericId - b.numericId : a.pipeline < b.pipeline ? -1 : 1))
  }

  /** Counts, totals, wait/run time percentiles and throughput of every queue. */
  stats(): EngineStats {
    const pipelines: EngineStats['pipelines'] = []
    for (const h of this.handles.values()) {
      const p = h.pipeline
      if (p === null) continue
      pipelines.push({
        name: p.name,
        lastLsn: p.log.lastLsn,
        pendingEvents: p.committer.pending,
        queues: [...p.state.queues.values()].map((q) => queueStats(p, q)),
      })
    }
    return { pipelines }
  }

  /**
   * Lease protocol (what in-process workers use, and what a remote worker will):
   * take one ready job of `queue` (`"queue"` in the default pipeline, or `"pipeline/queue"`) under a lease.
   */
  reserve<T = unknown>(queue: string, opts: LeaseOptions = {}): ActiveJob<T> | null {
    const slash = queue.indexOf('/')
    const h = this.handle(slash < 0 ? DEFAULT_PIPELINE : queue.slice(0, slash))
    return h.queue<T>(slash < 0 ? queue : queue.slice(slash + 1)).reserve(opts)
  }

  private leaseQueue(lease: ActiveJob | string): Queue {
    const token = typeof lease === 'string' ? lease : lease.token
    const parsed = parseJobId(token.split('#')[0])
    if (parsed === undefined) throw new LeaseError(`not a lease: ${token}`)
    const p = this.open(parsed.pipeline)
    const job = p?.state.jobs.get(parsed.id)
    if (p == null || job === undefined) throw new LeaseError(`lease ${token} is not held (expired, settled or unknown)`)
    return this.handle(parsed.pipeline).queue(job.queue.name)
  }

  /** Complete a leased job; resolves when durable. */
  async complete(lease: ActiveJob | string, result?: unknown): Promise<void> {
    await this.leaseQueue(lease).complete(lease, result)
  }

  /** Fail a leased job (retried while attempts remain, else dead); resolves when durable. */
  async fail(lease: ActiveJob | string, error: Error | string): Promise<void> {
    await this.leaseQueue(lease).fail(lease, error)
  }

  /** Renew a lease. */
  extend(lease: ActiveJob | string, ms?: number): void {
    this.leaseQueue(lease).extend(lease, ms)
  }

  /** Typed events for every queue of every pipeline. */
  on<K extends keyof EngineEvents>(name: K, fn: EngineEvents[K]): this {
    this.emitter.on(name, fn)
    return this
  }

  off<K extends keyof EngineEvents>(name: K, fn: EngineEvents[K]): this {
    this.emitter.off(name, fn)
    return this
  }

  /**
   * Write and fdatasync every pipeline's log now, whatever the durability mode. Once it resolves, everything
   * acknowledged before the call survives a power cut: a checkpoint for `interval`, `os` and `buffered`, whose
   * acknowledgements do not wait for an fsync. Rejects if a log cannot be made durable, and if a pipeline has
   * stopped after a failed write (its `error` event): work given to it may be lost, and a checkpoint that
   * resolved would say otherwise. Reopen to recover. In `memory` mode it resolves at once and keeps nothing.
   */
  async flush(): Promise<void> {
    await Promise.all([...this.handles.values()].map(async (h) => (await h.ready).flush()))
  }

  /**
   * Snapshot every pipeline now ("snapshot before deploy"): each snapshot covers everything applied when it is
   * taken (an automatic one still being written is waited out first, since it may cover less). Resolves with
   * each snapshot's LSN. Like flush(), rejects once a pipeline has stopped after a failed write.
   */
  async snapshot(): Promise<Record<string, number>> {
    if (this.closing !== null) throw new EngineClosedError()
    const out: Record<string, number> = {}
    for (const h of this.handles.values()) {
      const p = await h.ready
      out[p.name] = await p.snapshotNow()
    }
    return out
  }

  /** Drop WAL segments (and old snapshots) covered by each pipeline's newest snapshot. */
  async compact(): Promise<Record<string, { removedSegments: string[]; removedSnapshots: string[] }>> {
    if (this.closing !== null) throw new EngineClosedError()
    const out: Record<string, { removedSegments: string[]; removedSnapshots: string[] }> = {}
    for (const h of this.handles.values()) {
      const p = await h.ready
      out[p.name] = await p.log.compact()
    }
    return out
  }

  /**
   * Stop handing out work, wait for running handlers (aborting them after
   * `closeTimeoutMs`, their jobs go back), snapshot, release the locks.
   */
  close(): Promise<void> {
    if (this.closing === null) {
      for (const h of this.handles.values()) h.markClosing()
      this.closing = (async () => {
        const results = await Promise.allSettled([...this.handles.values()].map(async (h) => {
          const p = await h.ready.catch(() => null)
          if (p !== null) await p.close()
        }))
        const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined
        if (failed !== undefined) throw failed.reason
      })()
    }
    return this.closing
  }
}
