// The sweeps' engine: two pipelines (`default` and `b`) on a small-segment WAL, the queues they use with their options,
// the handlers that run them, and what a test observes of it all.
import { Engine, type DurabilityMode, type QueueOptions } from '@wq/engine'
import type { FileSystem } from '@wq/wal'

export type Mode = Exclude<DurabilityMode, 'memory'>
export const MODES: Mode[] = ['sync', 'sync-enqueue', 'interval', 'os', 'buffered']

const silent = { info() {}, warn() {}, error() {}, debug() {} }

export interface Observed {
  jobs: Map<string, { id: string; pl: string; queue: string; state: string; key?: string; data: any }>
  paused: Record<string, boolean>
  schedules: Set<string>
}

export function openEngine(fs: FileSystem, mode: Mode, snapEvery: number | false): Promise<Engine> {
  return Engine.open({
    dir: '/data', durability: mode, logger: silent, closeTimeoutMs: 30,
    snapshotEvery: snapEvery === false ? false : { events: snapEvery },
    wal: { fs, segmentBytes: 8192, intervalMs: 2, flushMs: 2, bufferRecords: 16 },
  })
}

const base: QueueOptions = { attempts: 10_000, keepCompleted: 1_000_000, backoff: { type: 'fixed', delay: 2 } }
export const QUEUES: Record<'default' | 'b', Record<string, QueueOptions>> = {
  default: {
    plain: { ...base, concurrency: 2 }, hold: base, moved: base, uq: base, flaky: { ...base, concurrency: 2 },
    grp: { ...base, concurrency: 3, groupConcurrency: 1 }, mp: { ...base, concurrency: 1, maxPending: 2, onFull: 'wait' },
    lz: { ...base, attempts: 1 }, pz: { ...base, concurrency: 1 }, cron: { ...base, concurrency: 1 },
    // Its schedules have the same names as cron's: names are per queue.
    cron2: { ...base, concurrency: 1 },
  },
  b: { x: { ...base, concurrency: 2 }, y: { ...base, concurrency: 2 }, bh: base },
}
/** Queues without a handler during the workload (moved gets one after reopen). */
export const HELD = new Set(['hold', 'lz', 'moved', 'bh', 'uq'])
const configured = new WeakMap<Engine, Set<string>>()
/** A queue, configured with its options the first time this engine touches it. */
export function queue(e: Engine, pl: 'default' | 'b', name: string) {
  let done = configured.get(e)
  if (done === undefined) configured.set(e, (done = new Set()))
  const first = !done.has(`${pl}/${name}`)
  done.add(`${pl}/${name}`)
  return e.pipeline(pl).queue(name, first ? QUEUES[pl][name] : undefined)
}
export const eachQueue = (f: (pl: 'default' | 'b', name: string) => void) => {
  for (const pl of ['default', 'b'] as const) for (const name of Object.keys(QUEUES[pl])) f(pl, name)
}
/** A handler for the queues that run jobs: x hands each job on to y; flaky fails its jobs' first attempt. */
export function handler(pl: 'default' | 'b', name: string) {
  return (job: { id: string; attempt: number; data: any }) => {
    if (name === 'flaky' && job.attempt === 1 && job.data?.flaky) throw new Error('planned failure')
    return pl === 'b' && name === 'x' ? { next: { queue: 'y', data: { from: job.id } } } : 'ok'
  }
}

export function observe(e: Engine): Observed {
  const out: Observed = { jobs: new Map(), paused: {}, schedules: new Set() }
  eachQueue((pl, name) => {
    const q = queue(e, pl, name)
    out.paused[`${pl}/${name}`] = q.paused
    for (const j of q.jobs({ limit: 1e7 })) out.jobs.set(j.id, { id: j.id, pl, queue: j.queue, state: j.state, key: j.key, data: j.data })
    for (const s of q.schedules()) out.schedules.add(`${pl}/${name}/${s.name}`)
  })
  return out
}
