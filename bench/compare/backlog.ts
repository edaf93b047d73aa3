/**
 * The large-backlog phases (see BacklogRequest), run inside a measuring child.
 * Each family keeps its jobs differently — wq in process memory rebuilt from
 * its log, SQLite in a file, BullMQ in Redis — so each gets its own phase code.
 */
import type { BacklogRequest, BacklogResult } from './measurement.js'
import { peakRssMb, settledRssMb } from './memory.js'
import { payloadMaker } from './payload.js'
import { SYSTEMS, type SystemConfig } from './systems.js'
import { BULK_BATCH } from './workloads.js'
import { join } from 'node:path'
import type { EngineStats } from '@wq/engine'

const BACKLOG_PAYLOAD = 100
/** SQLite rows per transaction when filling; one transaction per 1,000 would mostly measure commits. */
const SQLITE_FILL_BATCH = 10_000

interface PhaseOutcome {
  seconds: number
  waiting: number
  closeSeconds?: number
  /** called after memory was read, to release the system */
  close?: () => Promise<void>
}

export async function runBacklogPhase(req: BacklogRequest): Promise<BacklogResult> {
  const system = SYSTEMS.find((s) => s.id === req.systemId)
  if (!system) throw new Error(`unknown system ${req.systemId}`)
  const baselineRssMb = settledRssMb()
  const outcome = await phaseFor(system, req)
  const rssMb = settledRssMb()
  const peak = peakRssMb()
  if (outcome.close) {
    const started = performance.now()
    await outcome.close()
    outcome.closeSeconds = (performance.now() - started) / 1000
  }
  return { type: 'backlog', phase: req.phase, seconds: outcome.seconds, waiting: outcome.waiting, closeSeconds: outcome.closeSeconds, baselineRssMb, rssMb, peakRssMb: peak }
}

function phaseFor(system: SystemConfig, req: BacklogRequest): Promise<PhaseOutcome> {
  switch (system.family) {
    case 'wq':
      return wqPhase(system, req)
    case 'sqlite':
      return sqlitePhase(system, req)
    case 'bullmq':
      return bullmqPhase(req)
    case 'fastq':
      return fastqPhase(req)
  }
}

function batchOf(size: number, makeData: ReturnType<typeof payloadMaker>) {
  const batch = new Array(size)
  for (let i = 0; i < size; i++) batch[i] = makeData(0)
  return batch
}

async function wqPhase(system: SystemConfig, req: BacklogRequest): Promise<PhaseOutcome> {
  const { openEngine } = await import('./adapters/wq-engine.js')
  const started = performance.now()
  // The fill must leave a log to replay: no automatic snapshot (and so no compaction) while filling.
  const engine = await openEngine(req.dir, system.wq!, req.phase === 'fill' ? { snapshotEvery: false } : {})
  const queue = engine.queue('bench')
  if (req.phase === 'fill') {
    const makeData = payloadMaker(BACKLOG_PAYLOAD)
    for (let added = 0; added < req.count; added += BULK_BATCH) {
      await queue.addBulk(batchOf(Math.min(BULK_BATCH, req.count - added), makeData).map((data) => ({ data })))
    }
    const seconds = (performance.now() - started) / 1000
    // No close: the next phase must find a log to replay, not a fresh snapshot. addBulk resolved, so it is durable.
    return { seconds, waiting: waitingOf(engine.stats()) }
  }
  const seconds = (performance.now() - started) / 1000
  return { seconds, waiting: waitingOf(engine.stats()), close: () => engine.close() }
}

/** Waiting jobs of the bench queue. */
function waitingOf(stats: EngineStats): number {
  return stats.pipelines.flatMap((p) => p.queues).find((q) => q.name === 'bench')?.counts.waiting ?? 0
}

async function sqlitePhase(system: SystemConfig, req: BacklogRequest): Promise<PhaseOutcome> {
  const { default: Database } = await import('better-sqlite3')
  const { better, defineQueue, JobStatus } = await import('plainjob')
  const silent = { error() {}, warn() {}, info() {}, debug() {} }
  const started = performance.now()
  const db = new Database(join(req.dir, 'queue.db'))
  const queue = defineQueue({ connection: better(db), logger: silent })
  db.pragma(`synchronous = ${system.sqlite}`)
  if (req.phase === 'fill') {
    const makeData = payloadMaker(BACKLOG_PAYLOAD)
    const deadline = started + req.maxFillSeconds * 1000
    for (let added = 0; added < req.count && performance.now() < deadline; added += SQLITE_FILL_BATCH) {
      queue.addMany('bench', batchOf(Math.min(SQLITE_FILL_BATCH, req.count - added), makeData))
    }
  }
  // Ready to hand out work: the first pending job can be found through the index.
  const waiting = queue.countJobs({ type: 'bench', status: JobStatus.Pending })
  const seconds = (performance.now() - started) / 1000
  return { seconds, waiting, close: async () => queue.close() }
}

async function bullmqPhase(req: BacklogRequest): Promise<PhaseOutcome> {
  const { Queue } = await import('bullmq')
  const started = performance.now()
  const queue = new Queue('bench', { connection: { host: '127.0.0.1', port: req.redisPort!, maxRetriesPerRequest: null } })
  if (req.phase === 'fill') {
    const makeData = payloadMaker(BACKLOG_PAYLOAD)
    const deadline = started + req.maxFillSeconds * 1000
    for (let added = 0; added < req.count && performance.now() < deadline; added += BULK_BATCH) {
      await queue.addBulk(batchOf(Math.min(BULK_BATCH, req.count - added), makeData).map((data) => ({ name: 'job', data })))
    }
  }
  const waiting = await queue.getWaitingCount()
  const seconds = (performance.now() - started) / 1000
  return { seconds, waiting, close: () => queue.close() }
}

async function fastqPhase(req: BacklogRequest): Promise<PhaseOutcome> {
  const { default: fastq } = await import('fastq')
  const started = performance.now()
  const queue = fastq((_data: unknown, done: (err: Error | null) => void) => done(null), 1)
  queue.pause()
  const makeData = payloadMaker(BACKLOG_PAYLOAD)
  for (let i = 0; i < req.count; i++) queue.push(makeData(0))
  const seconds = (performance.now() - started) / 1000
  // Keep the queue reachable until memory has been read.
  return { seconds, waiting: queue.length(), close: async () => queue.kill() }
}
