// I/O-fault sweep under the engine: seeded cases, each one engine (two pipelines, FaultyFs over MemoryFs) running a
// seeded mix of adds, addBulk, push, handlers that complete and fail (retries), moveTo, remove, the lease protocol
// with retry/retryDead/removeDead, pause/resume, cron, groups, unique keys and maxPending with onFull 'wait', while
// one fault hits the nth call of one file-system op (transient EIO or persistent ENOSPC). Every promise must settle,
// every rejection carry the fault, nothing acknowledged may be lost beyond what the mode allows, nothing from a
// failed operation may show up, and the engine must reopen and work once the fault is gone.
// WQ_IO_SWEEP_CASES sizes it (split over the five modes); WQ_SEED replays a run, WQ_IO_SWEEP_CASE=<mode>:<i> one case.
import { describe, expect } from 'vitest'
import { Rng, seedFromEnv } from '../crash/prng.mjs'
import { checkActed, checkBulksWhole, checkInvariants, keepsWorking, reopen, type V } from './io-sweep/after-reopen.js'
import { MODES, observe, type Mode, type Observed } from './io-sweep/queues.js'
import { sweepEveryMode } from './io-sweep/sweep.js'
import { FAULT_OPS, STEPS, runWorkload, type CaseConfig, type Entry, type FaultOp, type WorkloadResult } from './io-sweep/workload.js'

const SEED = seedFromEnv()
const CASES = Number(process.env.WQ_IO_SWEEP_CASES ?? 600)
const PER_MODE = Math.ceil(CASES / MODES.length)
const SIZES = [10, 300, 2048, 5120]
/** Faults after which a rejected operation's record may still be in the file (written, then the fsync or close failed). */
const AMBIGUOUS = new Set<FaultOp>(['fsync', 'fsyncDir', 'close'])

/**
 * Calls of each op from the fault's injection to close, measured fault-free with every step, three rounds: count ≈
 * a + b × size / 5120 (per mode where the modes differ). Only aims the nth; the summary shows how many cases hit.
 */
function expectedCalls(op: FaultOp, mode: Mode, size: number): number {
  const [a, b] = ({
    write: mode === 'buffered' ? [45, 82] : mode.startsWith('sync') ? [185, 95] : [175, 58],
    fsync: mode === 'sync' ? [180, 150] : mode === 'sync-enqueue' ? [150, 135] : [33, 90],
    truncate: mode.startsWith('sync') ? [6, 43] : [2, 0],
    open: [64, 92], close: [68, 92], rename: [11, 47], fsyncDir: [16, 49], unlink: [7, 45],
  } satisfies Record<FaultOp, number[]>)[op]
  return a + (b * size) / 5120
}

function makeCase(rng: Rng, mode: Mode): CaseConfig {
  const op = rng.pick(FAULT_OPS)
  const size = rng.pick(SIZES)
  const rounds = rng.range(2, 4)
  let steps = STEPS.filter(() => rng.chance(0.75))
  if (steps.length < 4) steps = [...STEPS]
  const calls = expectedCalls(op, mode, size) * (rounds / 3) * (steps.length / STEPS.length)
  const nth = 1 + rng.int(Math.max(1, Math.round(calls * 1.1)))
  return { mode, fault: { op, nth, persistent: rng.chance(0.5) }, size, snapEvery: rng.chance(0.2) ? false : rng.range(15, 60), rounds, steps, seed: rng.u32() }
}

/** The cases of one mode: case i depends only on WQ_SEED, the mode and i (not on how many are run). */
function casesOf(mode: Mode, n: number): CaseConfig[] {
  const rng = new Rng((SEED ^ Math.imul(MODES.indexOf(mode) + 1, 0x9e3779b1)) >>> 0)
  return Array.from({ length: n }, () => makeCase(rng, mode))
}

const describeCase = (c: CaseConfig) =>
  `fault=${c.fault ? `${c.fault.op}#${c.fault.nth} ${c.fault.persistent ? 'ENOSPC persistent' : 'EIO transient'}` : 'none'} ` +
  `size=${c.size} snapshotEvery=${c.snapEvery} rounds=${c.rounds} steps=${c.steps.join(',')}`

/** The checks on the reopened engine, against the ledger and what the live engine held. */
function checkReopened(cfg: CaseConfig, w: WorkloadResult, now: Observed, V: V): void {
  const { ledger, live, stopped } = w
  const mode = cfg.mode
  const ambiguous = cfg.fault !== null && AMBIGUOUS.has(cfg.fault.op)
  // `buffered` acknowledges on entering its buffer: a pipeline whose log stopped may lose what was acknowledged.
  const lossOk = (pl: string) => mode === 'buffered' && (pl === '*' ? stopped.default !== null || stopped.b !== null : stopped[pl as 'b'] !== null)
  const at = (id: string) => now.jobs.get(id)
  const acts = (x: Entry) => x.kind !== 'add' && x.kind !== 'bulk' && x.kind !== 'push'
  // A rejected fail or complete leaves the job running: after reopen it is "worker lost", and may be dead (lz has one attempt).
  const mayHaveActed = (x: Entry) => x.outcome !== 'rejected' || ambiguous || x.kind === 'fail' || x.kind === 'complete'
  const actedLater = (id: string, after: number) => ledger.some((x) => x.i > after && acts(x) && x.ids.includes(id) && mayHaveActed(x))
  const removedMaybe = (id: string) => ledger.some((x) => (x.kind === 'remove' || x.kind === 'removeDead') && x.ids.includes(id) && mayHaveActed(x))
  const tagged = (x: Entry) => [...now.jobs.values()].find((j) => j.data?.u === x.i && j.pl === x.pl)

  for (const j of now.jobs.values()) if (j.state === 'active') V('active-after-reopen', j.id)
  for (const r of ledger) {
    const tag = `${r.kind}#${r.i}`
    if (r.outcome === 'ok' && !lossOk(r.pl)) {
      switch (r.kind) {
        case 'add': case 'bulk':
          for (const id of r.ids) if (!at(id) && !removedMaybe(id)) V(`lost-${r.kind}`, `${tag} ${id} (${r.pl}/${r.queue}) is gone`)
          break
        case 'push': // durable a moment after it returns: lost only with a pipeline that stopped (and said so)
          for (const id of r.ids) if (!at(id) && !removedMaybe(id) && stopped[r.pl as 'b'] === null) V('lost-push', `${tag} ${id} is gone, and its pipeline did not stop`)
          break
        default:
          checkActed(r, tag, now, { ledger, mayHaveActed }, V)
      }
    }
    // Nothing from a failed call shows up (when no record of it can have reached the file).
    if (r.outcome === 'rejected' && !ambiguous) {
      if (r.kind === 'add' || r.kind === 'bulk' || r.kind === 'push') {
        const j = tagged(r)
        if (j) V(`rejected-${r.kind}-back`, `${tag} ${j.id} (${j.queue}/${j.state})`)
      } else {
        const id = r.ids[0]
        const otherwise = (kind: string) => ledger.some((x) => x !== r && x.kind === kind && x.ids.includes(id) && x.outcome !== 'rejected')
        // Nothing but this call puts the job in its target queue, completes it, or makes this schedule.
        if (r.kind === 'move' && at(id)?.queue === r.to && !otherwise('move')) V('rejected-move-applied', `${tag} ${id}`)
        if (r.kind === 'complete' && at(id)?.state === 'completed') V('rejected-complete-applied', `${tag} ${id}`)
        if (r.kind === 'schedule' && now.schedules.has(r.schedule!)) V('rejected-schedule-applied', `${tag} ${r.schedule}`)
        // A job or schedule missing, a job not dead, a pause state reverted: a `buffered` pipeline that lost
        // acknowledged records (the add, the fail, the previous pause) explains these too, so they are not checked then.
        if (!lossOk(r.pl)) {
          if (r.kind === 'remove' && !at(id) && !removedMaybe(id)) V('rejected-remove-applied', `${tag} ${id}`)
          if (r.kind === 'removeDead') for (const d of r.ids) if (!at(d) && !ledger.some((x) => x !== r && x.ids.includes(d) && x.kind === 'removeDead' && x.outcome !== 'rejected')) V('rejected-removeDead-applied', `${tag} ${d}`)
          if (r.kind === 'retry' && at(id) && at(id)!.state !== 'dead' && !actedLater(id, r.i) && !otherwise('retryDead')) V('rejected-retry-applied', `${tag} ${id} is ${at(id)!.state}`)
          if (r.kind === 'pause' && now.paused['default/pz'] === r.paused && !ledger.some((x) => x.kind === 'pause' && x.i > r.i && mayHaveActed(x))) {
            const before = ledger.filter((x) => x.kind === 'pause' && x.i < r.i && x.outcome === 'ok').at(-1)
            if ((before?.paused ?? false) !== r.paused) V('rejected-pause-applied', `${tag}: paused=${r.paused}`)
          }
          const wasScheduled = ledger.some((x) => x.kind === 'schedule' && x.schedule === r.schedule && x.outcome === 'ok')
          if (r.kind === 'unschedule' && wasScheduled && !now.schedules.has(r.schedule!) && !ledger.some((x) => x !== r && x.kind === 'unschedule' && x.schedule === r.schedule && x.outcome !== 'rejected')) V('rejected-unschedule-applied', `${tag} ${r.schedule}`)
        }
      }
    }
    // A flush or snapshot that resolved covers every add acknowledged before it was called, in every mode.
    if ((r.kind === 'flush' || r.kind === 'snapshot') && r.outcome === 'ok') {
      for (const x of ledger) {
        if (x.outcome !== 'ok' || x.doneAt > r.i || (x.kind !== 'add' && x.kind !== 'bulk' && x.kind !== 'push')) continue
        for (const id of x.ids) if (!at(id) && !removedMaybe(id)) V(`lost-before-${r.kind}`, `${x.kind}#${x.i} ${id}, acknowledged before ${tag} resolved`)
      }
    }
  }
  // finished() resolved: completed after reopen. Rejected (the fault, or close() with the job unfinished): not
  // completed, unless the fault leaves the bytes possibly there.
  for (const [id, f] of w.finished) {
    const pl = id.includes(':') ? 'b' : 'default'
    if (f === 'resolved' && !lossOk(pl) && at(id)?.state !== 'completed' && !removedMaybe(id)) V('finished-not-completed', `${id} is ${at(id)?.state ?? 'gone'}`)
    if ((f === 'io-rejected' || f === 'closed') && !ambiguous && at(id)?.state === 'completed') V(`finished-${f}-but-completed`, id)
  }
  // What the live engine held is on disk: memory never holds what the log does not.
  for (const [id, j] of live.jobs) {
    const after = at(id)
    if (lossOk(j.pl)) continue
    if (!after && !removedMaybe(id)) V('live-job-lost', `${id} (${j.queue}/${j.state})`)
    else if (after && (j.state === 'completed' || j.state === 'dead') && after.state !== j.state && !actedLater(id, 0)) V('state-went-back', `${id}: ${j.state} -> ${after.state}`)
  }
  // `buffered` loses only its buffer: the log keeps a prefix, and job ids are handed out in log order, so no job
  // made after an acknowledged add that was lost may have survived it.
  for (const pl of ['default', 'b'] as const) {
    if (!lossOk(pl)) continue
    const lost = ledger.filter((x) => x.outcome === 'ok' && x.pl === pl && !acts(x)).flatMap((x) => x.ids).filter((id) => !at(id) && !removedMaybe(id))
    const first = Math.min(...lost.map(numericId))
    const later = [...now.jobs.values()].filter((j) => j.pl === pl && numericId(j.id) > first)
    if (later.length) V('buffered-lost-more-than-a-suffix', `${pl}: job ${first} (acknowledged) is lost but ${later.length} later ones survived, e.g. ${later[0].id}`)
  }
  checkInvariants(now, V, 'reopened')
  checkBulksWhole(ledger, now, V, 'reopened')
  checkBulksWhole(ledger, live, V, 'live')
}
const numericId = (id: string) => Number(id.slice(id.lastIndexOf(':') + 1))

/** Reopen with the fault gone: the checks above, then the engine works. */
async function afterFault(cfg: CaseConfig, w: WorkloadResult, V: V): Promise<void> {
  const e = await reopen(w.mem, cfg.mode, cfg.snapEvery, V)
  if (e === null) return
  checkReopened(cfg, w, observe(e), V)
  await keepsWorking(e, w.mem, cfg.mode, cfg.snapEvery, V)
}

describe('I/O fault sweep under the engine (FaultyFs over MemoryFs)', () => {
  sweepEveryMode({
    name: 'I/O fault sweep (engine)',
    onlyVar: 'WQ_IO_SWEEP_CASE',
    seed: SEED,
    perMode: PER_MODE,
    title: () => 'cases — every promise settles, nothing acknowledged lost, nothing failed applied, reopens and works',
    cases: casesOf,
    describeCase,
    stats: () => ({ hit: 0, stopped: 0, acknowledged: 0, rejected: 0 }),
    async run(cfg, V, stats) {
      const w = await runWorkload(cfg, V)
      if (w === null) return
      await afterFault(cfg, w, V)
      stats.hit += w.faultsHit.length > 0 ? 1 : 0
      stats.stopped += w.stopped.default !== null || w.stopped.b !== null ? 1 : 0
      stats.acknowledged += w.ledger.filter((x) => x.outcome === 'ok').length
      stats.rejected += w.ledger.filter((x) => x.outcome === 'rejected').length
    },
    // Not vacuous: most cases' fault was hit.
    notVacuous: (stats) => expect(stats.hit, `faults hit in ${stats.cases} cases (WQ_SEED=${SEED})`).toBeGreaterThan(stats.cases / 2),
  })
})
