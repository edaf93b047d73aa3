// Power cuts under the sweeps' workload (test/fault/io-sweep): two pipelines, adds, addBulk, push, handlers with
// retries and `{ next }`, moveTo, remove, the lease protocol with retry/retryDead/removeDead, pause/resume, cron
// schedules firing every (warped) second, groups, unique keys and a full maxPending queue. Each case cuts the power
// (MemoryFs.crash: unsynced writes dropped, kept, garbled or a mix) just after its nth call is acknowledged, reopens
// the image and checks it against the ledger:
// - what the mode fsyncs before acknowledging (`sync`: every call; `sync-enqueue`: all but run outcomes) is there;
// - what a flush() or snapshot() that resolved before the cut covered is there, in every mode, pushes included;
// - nothing that was only called after the cut is; the log kept a prefix (no job outlives an earlier lost one);
// - the invariants hold, nothing is still running, and the engine then works (runs its backlog, closes, reopens).
// Half the cases cut again while that image recovers and works (cut-at-op.ts): nothing the first reopen held may go.
// Some first try to open the image with an I/O fault: that must fail clearly or not at all, and change nothing.
// WQ_POWER_CUT_SWEEP_CASES sizes it (split over the five modes); WQ_SEED replays a run, WQ_POWER_CUT_SWEEP_CASE=<mode>:<i> one case.
import { describe, expect } from 'vitest'
import { FaultyFs, type FsOp, type MemoryFs } from '@wq/wal/testing'
import { Rng, seedFromEnv } from './prng.mjs'
import { cutAtOp } from './cut-at-op.js'
import { checkActed, checkBulksWhole, checkInvariants, keepsWorking, reopen, type V } from '../fault/io-sweep/after-reopen.js'
import { Hang, describeError, guard, isFaultError } from '../fault/io-sweep/harness.js'
import { MODES, observe, openEngine, type Mode, type Observed } from '../fault/io-sweep/queues.js'
import { sweepEveryMode } from '../fault/io-sweep/sweep.js'
import { STEPS, runWorkload, type CaseConfig, type Entry, type Kind } from '../fault/io-sweep/workload.js'

const SEED = seedFromEnv()
const CASES = Number(process.env.WQ_POWER_CUT_SWEEP_CASES ?? 300)
const PER_MODE = Math.ceil(CASES / MODES.length)
const FATES = ['drop', 'keep', 'garble', 'random'] as const
/** Calls that change the disk while an image reopens and then works (keepsWorking): 47–121, median 72 (measured). */
const SECOND_CUT_RANGE = 100
/** What an open does to the disk and reads from it: a fault in any of them must fail the open clearly or not at all. */
const OPEN_FAULT_OPS: FsOp[] = ['read', 'readdir', 'stat', 'open', 'write', 'fsync', 'truncate', 'rename', 'fsyncDir', 'unlink', 'close', 'lock']

/** Kinds a cut may be aimed at: the moment just after such a call is acknowledged is where its promise is tested. */
const KINDS: Kind[] = ['add', 'bulk', 'push', 'move', 'remove', 'fail', 'complete', 'retry', 'retryDead', 'removeDead', 'pause', 'schedule', 'unschedule', 'flush', 'snapshot']

interface CutCase extends CaseConfig {
  /** The cut comes just after this many calls (of kind `cutKind`, if set) have been acknowledged. */
  cutAfter: number
  cutKind: Kind | null
  fate: (typeof FATES)[number]
  /** A second cut, at this call that changes the disk, while the image recovers and works after; null: none. */
  secondCutAt: number | null
  /** An I/O fault during a first attempt to open the image (then closed, the fault cleared); null: none. */
  openFault: { op: FsOp; nth: number; persistent: boolean } | null
}

function makeCase(rng: Rng, mode: Mode): CutCase {
  let steps = STEPS.filter(() => rng.chance(0.75))
  if (steps.length < 4) steps = [...STEPS]
  return {
    mode, fault: null, size: rng.pick([10, 300, 2048]), snapEvery: rng.chance(0.2) ? false : rng.range(15, 60),
    rounds: rng.range(2, 4), steps, seed: rng.u32(), fate: rng.pick(FATES),
    // Half the cases cut after any nth call; half after a call of one kind, so rare kinds are cut after as often.
    ...(rng.chance(0.5) ? { cutKind: null, cutAfter: rng.range(1, 70) } : { cutKind: rng.pick(KINDS), cutAfter: rng.range(1, 3) }),
    secondCutAt: rng.chance(0.5) ? rng.range(1, SECOND_CUT_RANGE) : null,
    openFault: rng.chance(0.3) ? { op: rng.pick(OPEN_FAULT_OPS), nth: rng.range(1, 8), persistent: rng.chance(0.5) } : null,
  }
}

const rng2 = (cfg: CutCase) => new Rng(cfg.seed ^ 0x2c)

/** The cases of one mode: case i depends only on WQ_SEED, the mode and i. */
function casesOf(mode: Mode, n: number): CutCase[] {
  const rng = new Rng((SEED ^ 0x5c ^ Math.imul(MODES.indexOf(mode) + 1, 0x9e3779b1)) >>> 0)
  return Array.from({ length: n }, () => makeCase(rng, mode))
}

/** Whether `mode` fsyncs a call of `kind` before acknowledging it. */
function durableAtAck(mode: Mode, kind: Kind): boolean {
  if (kind === 'push' || kind === 'flush' || kind === 'snapshot') return false
  if (mode === 'sync') return true
  // Run outcomes (the lease protocol's complete and fail) are written lazily; everything else waits for its fsync.
  if (mode === 'sync-enqueue') return kind !== 'complete' && kind !== 'fail'
  return false
}

/** The moment of the cut: the image, and the ledger as it stood (what had been called, what acknowledged). */
interface Cut {
  image: MemoryFs
  issued: Entry[]
  acked: Set<Entry>
}

const makes = (x: Entry) => x.kind === 'add' || x.kind === 'bulk' || x.kind === 'push'
const numericId = (id: string) => Number(id.slice(id.lastIndexOf(':') + 1))

function checkImage(cfg: CutCase, cut: Cut, now: Observed, V: V): number {
  const { issued, acked } = cut
  const at = (id: string) => now.jobs.get(id)
  // Whatever was called before the cut may be in the image, acknowledged or not; nothing called after it may be.
  const removedMaybe = (id: string) => issued.some((x) => (x.kind === 'remove' || x.kind === 'removeDead') && x.ids.includes(id))
  const checkpoints = [...acked].filter((x) => x.kind === 'flush' || x.kind === 'snapshot')
  const covered = (x: Entry) => acked.has(x) && (durableAtAck(cfg.mode, x.kind) || checkpoints.some((c) => x.doneAt !== 0 && x.doneAt < c.i))
  let checked = 0
  for (const r of issued) {
    if (!covered(r)) continue
    checked++
    const tag = `${r.kind}#${r.i}${durableAtAck(cfg.mode, r.kind) ? '' : ' (covered by a checkpoint)'}`
    switch (r.kind) {
      case 'add': case 'bulk': case 'push':
        for (const id of r.ids) if (!at(id) && !removedMaybe(id)) V(`lost-${r.kind}`, `${tag} ${id} (${r.pl}/${r.queue}) is gone`)
        break
      default:
        checkActed(r, tag, now, { ledger: issued, mayHaveActed: () => true }, V)
    }
  }
  // Adds mark their data with their call's number: a job whose call came after the cut cannot be in the image.
  const calledBefore = new Set(issued.map((x) => x.i))
  for (const j of now.jobs.values()) if (typeof j.data?.u === 'number' && !calledBefore.has(j.data.u)) V('from-after-the-cut', `${j.id} (${j.pl}/${j.queue}) was added by call #${j.data.u}, after the cut`)
  for (const j of now.jobs.values()) if (j.state === 'active') V('active-after-reopen', j.id)
  // The log keeps a prefix, and job ids are handed out in log order: no job made after an acknowledged one that
  // was lost may have survived it.
  for (const pl of ['default', 'b'] as const) {
    const lost = issued.filter((x) => acked.has(x) && makes(x) && x.pl === pl).flatMap((x) => x.ids).filter((id) => !at(id) && !removedMaybe(id))
    if (lost.length === 0) continue
    const first = Math.min(...lost.map(numericId))
    const later = [...now.jobs.values()].filter((j) => j.pl === pl && numericId(j.id) > first)
    if (later.length) V('not-a-prefix', `${pl}: job ${first} (acknowledged) is lost but ${later.length} later ones survived, e.g. ${later[0].id}`)
  }
  checkInvariants(now, V, 'reopened')
  checkBulksWhole(issued, now, V, 'reopened')
  return checked
}

/**
 * After a second cut, during recovery or the work after it: nothing the first reopen held is gone, nothing it held
 * completed or dead has gone back (what the first image held was all on disk), and the invariants hold.
 */
function checkSecondCut(first: Observed, now: Observed, V: V): void {
  for (const [id, j] of first.jobs) {
    const a = now.jobs.get(id)
    if (!a) V('second-cut-lost', `${id} (${j.pl}/${j.queue}/${j.state}) was there after the first cut`)
    else if ((j.state === 'completed' || j.state === 'dead') && a.state !== j.state) V('second-cut-went-back', `${id}: ${j.state} -> ${a.state}`)
  }
  for (const s of first.schedules) if (!now.schedules.has(s)) V('second-cut-lost-schedule', s)
  for (const j of now.jobs.values()) if (j.state === 'active') V('active-after-second-cut', j.id)
  checkInvariants(now, V, 'second cut')
}

/**
 * An attempt to open the image with an I/O fault in it: it opens (the fault came later, or not at all) or it
 * rejects with the fault, never hangs and never says anything else; then it is closed. The caller reopens the same
 * image without the fault and checks it as if this attempt had never been, so it must have changed nothing that
 * matters on disk: no record taken for a torn tail, no snapshot or segment dropped, no lock left behind.
 */
async function openWithFault(image: MemoryFs, cfg: CutCase, V: V): Promise<boolean> {
  const fault = cfg.openFault!
  const ffs = new FaultyFs(image).inject({ ...fault, code: fault.persistent ? 'ENOSPC' : 'EIO' })
  try {
    const e = await guard(openEngine(ffs, cfg.mode, cfg.snapEvery), 'open with a fault')
    try {
      await guard(e.ready('b'), 'open b with a fault')
    } catch (err) {
      if (!(err instanceof Hang) && !isFaultError(err)) V('open-fault-odd-error', `b: ${describeError(err)}`)
      if (err instanceof Hang) V('hang', err.message)
    }
    await guard(e.close(), 'close after an open with a fault').catch((err) => {
      if (err instanceof Hang) V('hang', err.message)
      else if (!isFaultError(err)) V('open-fault-odd-error', `close: ${describeError(err)}`)
    })
  } catch (err) {
    if (err instanceof Hang) V('hang', err.message)
    else if (!isFaultError(err)) V('open-fault-odd-error', describeError(err))
  }
  ffs.clearFaults()
  return ffs.ops.some((o) => o.injected)
}

const describeCase = (cfg: CutCase) =>
  `cut after ${cfg.cutAfter} acks${cfg.cutKind ? ` of ${cfg.cutKind}` : ''}, ${cfg.fate}` +
  `${cfg.secondCutAt ? `, second cut at op ${cfg.secondCutAt}` : ''}` +
  `${cfg.openFault ? `, open fault ${cfg.openFault.op}#${cfg.openFault.nth}${cfg.openFault.persistent ? ' persistent' : ''}` : ''}; steps=${cfg.steps.join(',')}`

/** One case: the workload, cut; the image (perhaps first opened with a fault), reopened, checked, cut again. */
async function runCase(cfg: CutCase, V: V, stats: Record<'cut' | 'secondCuts' | 'openFaults' | 'acknowledged' | 'checked', number>): Promise<void> {
  const mode = cfg.mode
  let cut: Cut | null = null
  let acks = 0
  const w = await runWorkload(cfg, V, (entry, ledger, mem) => {
    if (cut !== null || (cfg.cutKind !== null && entry.kind !== cfg.cutKind) || ++acks < cfg.cutAfter) return
    cut = { image: mem.crash({ unsynced: cfg.fate, seed: cfg.seed }), issued: [...ledger], acked: new Set(ledger.filter((x) => x.outcome === 'ok')) }
  })
  if (w === null) return
  // A case whose workload ended first is cut after its clean close: everything acknowledged is then covered.
  const at: Cut = cut ?? { image: w.mem, issued: w.ledger, acked: new Set(w.ledger.filter((x) => x.outcome === 'ok' || x.kind === 'flush')) }
  if (cut === null) at.acked.add({ kind: 'flush', i: Infinity, doneAt: Infinity, outcome: 'ok', pl: '*', ids: [] })
  stats.cut += cut === null ? 0 : 1
  stats.acknowledged += at.acked.size
  if (cfg.openFault !== null && (await openWithFault(at.image, cfg, V))) stats.openFaults++
  const second = cfg.secondCutAt === null ? null : cutAtOp(at.image, cfg.secondCutAt, { unsynced: rng2(cfg).pick(FATES), seed: cfg.seed + 1 })
  const fs = second?.fs ?? at.image
  const e = await reopen(fs, mode, cfg.snapEvery, V)
  if (e === null) return
  const first = observe(e)
  stats.checked += checkImage(cfg, at, first, V)
  await keepsWorking(e, fs, mode, cfg.snapEvery, V)
  if (!second?.image) return
  stats.secondCuts++
  const e2 = await reopen(second.image, mode, cfg.snapEvery, V)
  if (e2 === null) return
  checkSecondCut(first, observe(e2), V)
  await keepsWorking(e2, second.image, mode, cfg.snapEvery, V)
}

describe('power cuts under the sweep workload (MemoryFs)', () => {
  sweepEveryMode({
    name: 'power cut sweep (engine)',
    onlyVar: 'WQ_POWER_CUT_SWEEP_CASE',
    seed: SEED,
    perMode: PER_MODE,
    title: () => 'cuts — what the mode or a checkpoint made durable survives, the rest is a prefix, reopens and works',
    cases: casesOf,
    describeCase,
    stats: () => ({ cut: 0, secondCuts: 0, openFaults: 0, acknowledged: 0, checked: 0 }),
    run: runCase,
    // Not vacuous: most cases were cut mid-way.
    notVacuous: (stats) => expect(stats.cut, `cases cut mid-way (WQ_SEED=${SEED})`).toBeGreaterThan(stats.cases / 2),
  })
})
