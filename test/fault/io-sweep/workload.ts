// The I/O-fault sweep's workload: an engine on FaultyFs over MemoryFs runs a seeded mix of operations over two
// pipelines while one fault (the nth call of one file-system op, transient EIO or persistent ENOSPC) hits it.
// Every call goes into a ledger (what was asked, in what order, and how it settled); what can only be checked on
// the live engine (hangs, error kinds, a stopped pipeline refusing work) is checked here. The checks after reopen
// live in ../io-sweep-engine.test.ts.
import { JobDeadError, type Engine, type Job } from '@wq/engine'
import { FaultyFs, MemoryFs, type FsOp } from '@wq/wal/testing'
import { Rng } from '../../crash/prng.mjs'
import { Hang, clock, describeError, guard, isFaultError } from './harness.js'
import { HELD, eachQueue, handler, observe, openEngine, queue, type Mode, type Observed } from './queues.js'

export const FAULT_OPS = ['write', 'fsync', 'rename', 'fsyncDir', 'open', 'unlink', 'truncate', 'close'] as const satisfies readonly FsOp[]
export type FaultOp = (typeof FAULT_OPS)[number]
/** What the workload does each round, in a seeded order; a case runs a seeded subset. */
export const STEPS = ['add', 'bulk', 'push', 'move', 'remove', 'unique', 'group', 'lease', 'pause', 'cron', 'maxPending', 'retry', 'checkpoint'] as const
export type Step = (typeof STEPS)[number]

export interface CaseConfig {
  mode: Mode
  /** null: no fault (how the op counts behind the test's expectedCalls were measured, see opCounts). */
  fault: { op: FaultOp; nth: number; persistent: boolean } | null
  size: number
  snapEvery: number | false
  rounds: number
  steps: Step[]
  seed: number
}

export type Kind = 'add' | 'bulk' | 'push' | 'move' | 'remove' | 'fail' | 'complete' | 'retry' | 'retryDead' | 'removeDead' | 'pause' | 'schedule' | 'unschedule' | 'flush' | 'snapshot'

/** One call. `i` orders calls by when they were made, `doneAt` by when they settled (one shared counter). */
export interface Entry {
  kind: Kind
  i: number
  doneAt: number
  outcome: 'pending' | 'ok' | 'rejected' | 'hang'
  pl: 'default' | 'b' | '*'
  ids: string[] // the jobs it made (add, bulk, push) or acted on
  queue?: string
  to?: string // move: target queue, and its new data
  data?: unknown
  count?: number // bulk into b/x: how many jobs it adds (all or none of them exist at any moment)
  paused?: boolean // pause: paused (true) or resumed
  schedule?: string // schedule, unschedule: `pipeline/queue/name`
  stoppedBefore?: string[] // flush, snapshot: pipelines already stopped when it was called
  error?: string
}

type Fields = Omit<Entry, 'i' | 'doneAt' | 'outcome' | 'ids'> & { ids?: string[] }
export type Finish = 'pending' | 'resolved' | 'dead' | 'io-rejected' | 'closed' | `other: ${string}`

export interface WorkloadResult {
  ledger: Entry[]
  /** What the live engine held just before close. */
  live: Observed
  /** Per pipeline: the error that stopped it, or null. */
  stopped: Record<'default' | 'b', string | null>
  finished: Map<string, Finish>
  faultsHit: string[]
  mem: MemoryFs
  opCounts: Partial<Record<FsOp, number>>
}

/**
 * Internals the sweep reads: whether a pipeline has stopped, whether its WAL poisoned itself, and its timers (fired
 * by hand to drive cron). If a refactor moves them, the case fails with `harness` rather than checking less.
 */
function internals(e: Engine, pl: 'default' | 'b') {
  const p = e.pipeline(pl).pipeline
  const wal = (p?.log as { wal?: { poisoned: Error | null } } | undefined)?.wal
  const timers = p?.timers as unknown as { fire?: () => void } | undefined
  const missing = p && (!wal || typeof timers?.fire !== 'function') ? 'WalLog.wal or Timers.fire is gone: update the sweep' : null
  return { broken: p?.committer.broken ?? null, poisoned: wal?.poisoned ?? null, fire: () => timers?.fire?.(), missing }
}

/**
 * Runs one case's workload; `V` records a violation. The fault is cleared before returning. `acknowledged` is told of
 * each call as it resolves, before anything else runs, with the ledger as it stands (a power cut is taken there).
 */
export async function runWorkload(
  cfg: CaseConfig, V: (kind: string, detail: string) => void,
  acknowledged?: (entry: Entry, ledger: readonly Entry[], mem: MemoryFs) => void,
): Promise<WorkloadResult | null> {
  const rng = new Rng(cfg.seed)
  const pad = 'p'.repeat(cfg.size)
  const bigPad = 'b'.repeat(2048)
  const mem = new MemoryFs()
  const fs = new FaultyFs(mem)
  let e: Engine
  try {
    e = await guard(openEngine(fs, cfg.mode, cfg.snapEvery), 'open')
    await guard(e.ready('b'), 'open b')
  } catch (err) {
    V('open', describeError(err))
    return null
  }
  for (const pl of ['default', 'b'] as const) if (internals(e, pl).missing) V('harness', internals(e, pl).missing!)
  let errorEvents = 0
  e.on('error', () => errorEvents++)
  const jitter = rng.fork() // handlers draw from their own stream: their timing does not shift the steps' choices
  const ledger: Entry[] = []
  let seq = 0
  const finished = new Map<string, Finish>()
  const finishing: Promise<unknown>[] = []
  let closing = false
  const watch = (job: Job | undefined) => {
    if (job === undefined || finished.has(job.id)) return
    finished.set(job.id, 'pending')
    finishing.push(job.finished().then(
      () => finished.set(job.id, 'resolved'),
      (err) => finished.set(job.id, err instanceof JobDeadError ? 'dead' : isFaultError(err) ? 'io-rejected' : isFaultError(err, closing) ? 'closed' : `other: ${describeError(err)}`),
    ))
  }
  /**
   * Make one call, ledgered: `f` gets the entry (adds mark their data with its `i`, so a rejected add can be looked
   * for), `ids` names the jobs a call that resolved made. A rejection must carry the fault (or say the engine closed).
   */
  const call = async <T>(fields: Fields, f: (entry: Entry) => Promise<T> | T, ids?: (v: T) => string[]): Promise<T | undefined> => {
    const entry: Entry = { ids: [], ...fields, i: ++seq, doneAt: 0, outcome: 'pending' }
    ledger.push(entry)
    try {
      const v = await guard(Promise.resolve().then(() => f(entry)), `${entry.kind}#${entry.i} (${entry.pl}${entry.queue ? '/' + entry.queue : ''})`)
      entry.outcome = 'ok'
      if (ids) entry.ids = ids(v)
      acknowledged?.(entry, ledger, mem)
      return v
    } catch (err) {
      entry.error = describeError(err)
      if (err instanceof Hang) {
        entry.outcome = 'hang'
        V('hang', err.message)
      } else {
        entry.outcome = 'rejected'
        if (!isFaultError(err)) V('unexpected-error', `${entry.kind}#${entry.i}: ${entry.error}`)
      }
      return undefined
    } finally {
      entry.doneAt = ++seq
    }
  }
  const add = (pl: 'default' | 'b', name: string, data: object, opts = {}) =>
    call({ kind: 'add', pl, queue: name }, (x) => queue(e, pl, name).add({ ...data, u: x.i }, opts), (j) => [j.id])

  // The maxPending queue's handler waits at a gate, so adds queue up for room.
  let gate = Promise.resolve()
  let openGate = () => {}
  let atGate: Promise<void> = Promise.resolve()
  let reachedGate = () => {}
  eachQueue((pl, name) => {
    if (HELD.has(name)) return
    const run = handler(pl, name)
    queue(e, pl, name).process(async (job) => {
      watch(e.getJob(job.id))
      if (name === 'mp') {
        reachedGate()
        await gate
      }
      // Jitter: some handlers finish in a later turn, so completions interleave with the other calls.
      if (jitter.chance(0.3)) await new Promise((r) => setTimeout(r, 1))
      return run(job)
    })
  })
  eachQueue((pl, name) => queue(e, pl, name)) // every queue configured (a logged record) before the fault
  await guard(e.flush(), 'first flush')

  const base = fs.ops.length
  if (cfg.fault) fs.inject({ ...cfg.fault, code: cfg.fault.persistent ? 'ENOSPC' : 'EIO' })
  const holds: Job[] = []
  const gseq: Record<string, number> = { g0: 0, g1: 0 }
  const scheduled: string[] = []
  let ticker: NodeJS.Timeout | null = null
  const lz = () => queue(e, 'default', 'lz')
  const deadIds = () => lz().jobs({ state: 'dead', limit: 1e6 }).map((j) => j.id)
  const leaseOp = async (how: 'fail' | 'complete') => {
    let lease
    try {
      lease = lz().reserve({ leaseMs: 2 ** 30 })
    } catch (err) {
      if (!isFaultError(err)) V('unexpected-error', `reserve: ${describeError(err)}`)
      return
    }
    if (lease) await call({ kind: how, pl: 'default', ids: [lease.id] }, () => (how === 'fail' ? lz().fail(lease, 'planned') : lz().complete(lease, 1)))
  }

  const steps: Record<Step, (round: number) => Promise<void>> = {
    add: async (r) => {
      for (let i = 0; i < 3; i++) {
        const j = await add('default', 'hold', { r, i, pad }, { priority: rng.int(3), ...(rng.chance(0.2) ? { delay: 5000 } : {}) })
        if (j) holds.push(j)
      }
    },
    bulk: async (r) => {
      const ids = (js: Job[]) => js.map((j) => j.id)
      const items = (u: number) => Array.from({ length: 4 }, (_, i) => ({ data: { r, i, pad, u }, options: { priority: i % 2 } }))
      holds.push(...((await call({ kind: 'bulk', pl: 'default', queue: 'hold' }, (x) => queue(e, 'default', 'hold').addBulk(items(x.i)), ids)) ?? []))
      // Now and then a bulk over 64 KiB: several records, applied together when the last one is.
      const count = rng.chance(0.3) ? 100 : 2
      const xItems = (u: number) => Array.from({ length: count }, (_, i) => ({ data: { r, u, pad: count > 2 ? bigPad : i === 0 ? pad : undefined } }))
      const xs = await call({ kind: 'bulk', pl: 'b', queue: 'x', count }, (x) => queue(e, 'b', 'x').addBulk(xItems(x.i)), ids)
      xs?.forEach(watch)
    },
    push: async (r) => {
      for (const [pl, name] of [['default', 'plain'], ['b', 'x'], ['b', 'bh']] as const) {
        await call({ kind: 'push', pl, queue: name }, (x) => queue(e, pl, name).push({ r, pad, u: x.i }), (id) => [id])
      }
    },
    move: async (r) => {
      for (const withData of [true, false]) {
        const j = holds.shift()
        if (!j) return
        const data = withData ? { moved: r, pad } : undefined
        await call({ kind: 'move', pl: 'default', ids: [j.id], to: 'moved', data }, () => j.moveTo('moved', data ? { data } : {}))
      }
    },
    remove: async () => {
      const j = holds.shift()
      if (j) await call({ kind: 'remove', pl: 'default', ids: [j.id] }, () => j.remove())
    },
    unique: async (r) => {
      for (const key of ['k0', 'k1', 'k0']) await add('default', 'uq', { r, key }, { key, onDuplicate: rng.pick(['keep', 'replace'] as const) })
    },
    group: async () => {
      await Promise.all(['g0', 'g1', 'g0'].map((g) => add('default', 'grp', { g, s: gseq[g]++ }, { group: g })))
    },
    // The lease protocol on lz (attempts 1): a failed job is dead; retry, retryDead, removeDead, moving a dead job.
    lease: async (r) => {
      for (let a = 0; a < 3; a++) await add('default', 'lz', { r, a })
      await leaseOp('fail'); await leaseOp('fail'); await leaseOp('complete')
      const d = deadIds()
      if (d.length) await call({ kind: 'retry', pl: 'default', ids: [d[0]] }, () => e.getJob(d[0])!.retry())
      await leaseOp('fail')
      const kind = rng.pick(['retryDead', 'removeDead'] as const)
      await call({ kind, pl: 'default', ids: deadIds() }, () => (kind === 'retryDead' ? lz().retryDead() : lz().removeDead()))
      await leaseOp('fail')
      const d2 = deadIds()
      const data = { fromDead: r }
      if (d2.length) await call({ kind: 'move', pl: 'default', ids: [d2[0]], to: 'moved', data }, () => e.getJob(d2[0])!.moveTo('moved', { data }))
    },
    pause: async (r) => {
      for (const paused of rng.chance(0.5) ? [true, false, true] : [false]) {
        await call({ kind: 'pause', pl: 'default', queue: 'pz', paused }, () => (paused ? queue(e, 'default', 'pz').pause() : queue(e, 'default', 'pz').resume()))
      }
      await add('default', 'pz', { r })
    },
    cron: async (r) => {
      const name = `tick${r}`
      // Two queues, one set of names: each queue's schedules are its own.
      const queues = rng.chance(0.5) ? ['cron', 'cron2'] : ['cron2', 'cron']
      for (const q of queues) {
        await call({ kind: 'schedule', pl: 'default', schedule: `default/${q}/${name}` }, () => queue(e, 'default', q).schedule(name, '* * * * * *', { cron: r, q }))
      }
      scheduled.push(name)
      // Each tick moves the clock 1 s on and fires the pipeline's due timers: cron runs every tick.
      ticker ??= setInterval(() => {
        clock.warp += 1000
        try { internals(e, 'default').fire() } catch (err) { V('timers-fire-threw', describeError(err)) }
      }, 2)
      const old = scheduled.length > 2 ? scheduled.shift()! : undefined
      if (old) await call({ kind: 'unschedule', pl: 'default', schedule: `default/cron/${old}` }, () => queue(e, 'default', 'cron').unschedule(old))
      // cron2 keeps each name a round longer than cron: for that round the name is cron2's alone.
      const older = `tick${r - 3}`
      if (r >= 3) await call({ kind: 'unschedule', pl: 'default', schedule: `default/cron2/${older}` }, () => queue(e, 'default', 'cron2').unschedule(older))
    },
    maxPending: async (r) => {
      gate = new Promise((resolve) => (openGate = resolve))
      atGate = new Promise((resolve) => (reachedGate = resolve))
      const adds = Array.from({ length: 5 }, (_, i) => add('default', 'mp', { r, i, pad }))
      // Open the gate once a job is held at it (adds are then waiting for room), or once every add has settled.
      await guard(Promise.race([atGate, Promise.allSettled(adds)]), 'maxPending: a job at the gate or every add settled')
      openGate()
      await Promise.all(adds)
    },
    retry: async (r) => {
      for (let i = 0; i < 2; i++) watch(await add('default', 'flaky', { r, i, flaky: true, pad }))
    },
    checkpoint: async () => {
      const kind = rng.pick(['flush', 'snapshot'] as const)
      const stoppedBefore = (['default', 'b'] as const).filter((pl) => internals(e, pl).broken !== null)
      await call({ kind, pl: '*', stoppedBefore }, async () => void (kind === 'flush' ? await e.flush() : await e.snapshot()))
      if (ledger.at(-1)!.outcome === 'ok' && stoppedBefore.length) V(`${kind}-resolved-stopped`, `${kind}#${ledger.at(-1)!.i} resolved although ${stoppedBefore} had stopped before it was called`)
    },
  }

  for (let round = 0; round < cfg.rounds; round++) {
    for (const step of shuffle(rng, cfg.steps)) await steps[step](round)
    // Pacing, not waiting for an outcome: lets the interval timer's fsync and buffered mode's flush run inside a case.
    await new Promise((r) => setTimeout(r, rng.range(0, 2)))
  }
  if (ticker) clearInterval(ticker)
  openGate()

  // Every microtask has run after one macrotask: a WAL that poisoned itself has stopped its pipeline by then.
  await new Promise((r) => setImmediate(r))
  for (const pl of ['default', 'b'] as const) {
    const { broken, poisoned } = internals(e, pl)
    if (poisoned && !broken) V('poisoned-not-stopped', `${pl}: WAL poisoned (${poisoned.message}) but the pipeline goes on`)
  }
  // A stopped pipeline refuses work; one that did not stop takes it (unless the probe itself met the fault).
  for (const pl of ['default', 'b'] as const) {
    const brokenBefore = internals(e, pl).broken
    const hitsBefore = fs.ops.filter((o) => o.injected).length
    const job = await add(pl, pl === 'default' ? 'hold' : 'bh', { probe: true })
    const hitByProbe = fs.ops.filter((o) => o.injected).length > hitsBefore
    if (brokenBefore && job) V('stopped-accepts', `${pl}: stopped (${brokenBefore.message}) but add ${job.id} was acknowledged`)
    if (!brokenBefore && !job && !hitByProbe) V('probe-refused', `${pl}: add refused (${ledger.at(-1)!.error}) on a pipeline that did not stop`)
  }
  // A pipeline that stops says so, with the engine's error event.
  const brokenCount = (['default', 'b'] as const).filter((pl) => internals(e, pl).broken !== null).length
  if (errorEvents < brokenCount) V('no-error-event', `${brokenCount} pipeline(s) stopped, ${errorEvents} error event(s)`)

  const live = observe(e)
  for (const x of ledger) {
    if ((x.kind !== 'add' && x.kind !== 'bulk' && x.kind !== 'push') || x.outcome !== 'rejected') continue
    for (const j of live.jobs.values()) if (j.data?.u === x.i && j.pl === x.pl) V('rejected-in-memory', `${x.kind}#${x.i}: ${j.id} is in memory`)
  }
  closing = true
  await guard(e.close(), 'close').catch((err) => {
    if (err instanceof Hang) V('hang', err.message)
    else if (!isFaultError(err)) V('close-unexpected-error', describeError(err))
  })
  // Stopped by now, close included (in `buffered`, close writes the last buffer: that write may fail too).
  const stopped = { default: null as string | null, b: null as string | null }
  for (const pl of ['default', 'b'] as const) stopped[pl] = internals(e, pl).broken?.message ?? internals(e, pl).poisoned?.message ?? null
  // close() settles every finished() still waiting.
  await guard(Promise.allSettled(finishing), 'finished() promises after close').catch((err) => V('hang', `${err.message}: ${[...finished].filter(([, f]) => f === 'pending').map(([id]) => id).slice(0, 5)}`))
  for (const [id, f] of finished) if (f.startsWith('other')) V('finished-odd-rejection', `${id}: ${f}`)
  const faultsHit = fs.ops.filter((o) => o.injected).map((o) => `${o.op}(${o.detail ?? ''}) ${o.path}`)
  fs.clearFaults()
  const opCounts: Partial<Record<FsOp, number>> = {}
  for (const o of fs.ops.slice(base)) opCounts[o.op] = (opCounts[o.op] ?? 0) + 1
  return { ledger, live, stopped, finished, faultsHit, mem, opCounts }
}

function shuffle<T>(rng: Rng, xs: readonly T[]): T[] {
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) { const j = rng.int(i + 1); [out[i], out[j]] = [out[j], out[i]] }
  return out
}
