/**
 * The kill -9 loop: spawn a child running the engine under load, SIGKILL it at
 * a random moment, read what the directory holds, check every invariant
 * against what the child acknowledged, and go again on the same directory.
 * Lanes run in parallel on separate directories; each lane starts a fresh
 * directory (and durability mode) every `cyclesPerDir` cycles.
 */
import { appendFileSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { Rng } from '../prng.mjs'
import type { ChildReport } from './protocol.mjs'
import { WarmChild } from './warm-child.js'
import { Kill9Ledger, type KillGuarantees, type Violation } from './ledger.js'
import { observeDirectory } from './observe.js'
import { BUFFER_RECORDS } from './workload.mjs'

export type KillMode = 'sync' | 'sync-enqueue' | 'interval' | 'os' | 'buffered'

/**
 * What each mode promises under kill -9 (process death, the OS survives):
 * every mode but `buffered` writes before it acknowledges, so adds survive;
 * completions survive where `finished()` waits for them (not in sync-enqueue,
 * whose completions are flushed lazily by design). `buffered` acknowledges
 * records still in its buffer: those may die with the process, as the last
 * ones acknowledged and never more than the buffer holds.
 */
export const KILL_GUARANTEES: Record<KillMode, KillGuarantees> = {
  sync: { addsSurvive: true, completionsSurvive: true, duplicateCause: '' },
  'sync-enqueue': {
    addsSurvive: true,
    completionsSurvive: false,
    duplicateCause: 'completion not yet flushed (sync-enqueue flushes completions lazily)',
  },
  interval: { addsSurvive: true, completionsSurvive: true, duplicateCause: '' },
  os: { addsSurvive: true, completionsSurvive: true, duplicateCause: '' },
  buffered: {
    addsSurvive: false,
    completionsSurvive: false,
    duplicateCause: 'completion still in the buffer (buffered acknowledges before writing)',
    // Past four buffers of unwritten records, acknowledgements wait for the write (WAL back-pressure).
    bufferedLossBound: 4 * BUFFER_RECORDS,
  },
}

export interface Kill9Options {
  cycles: number
  seed: number
  /** Parallel lanes (separate directories). Default 2. */
  lanes?: number
  /** Cycles on one directory before starting a fresh one. Default 25. */
  cyclesPerDir?: number
  /** Modes to rotate through, one per directory. Default: sync, sync-enqueue, sync, interval, sync, os, buffered. */
  modes?: KillMode[]
  /** Kill at the latest this long after the child is ready: [min, max] ms. Default [30, 300]. */
  killAfterMs?: [number, number]
  /** Kill (with a little jitter) after a random number of reports below this. Default 100. */
  maxReportsBeforeKill?: number
  /** Share of cycles killed at a random moment since spawn (maybe during open/recovery). Default 0.1. */
  earlyKillRate?: number
  /** No delays and no backoff in the load (to isolate failures unrelated to delayed jobs). */
  noDelays?: boolean
  onCycle?: (info: { lane: number; cycle: number; mode: KillMode; reports: number }) => void
}

export interface Kill9Summary {
  seed: number
  cycles: number
  directories: number
  acknowledged: { adds: number; completions: number; deaths: number; moves: number; total: number }
  lost: number
  /** Acknowledged adds lost with a `buffered` buffer, each crash within the bound. */
  lostToBuffer: number
  duplicates: Map<string, number>
  violations: (Violation & { lane: number; dir: string; mode: KillMode })[]
  /** Failing directories left on disk (the first few). */
  keptDirs: number
  ms: number
}

const KEEP_FAILING_DIRS = 3

export async function runKill9(options: Kill9Options): Promise<Kill9Summary> {
  const started = Date.now()
  const lanes = Math.max(1, Math.min(options.lanes ?? 2, options.cycles))
  const master = new Rng(options.seed)
  const summary: Kill9Summary = {
    seed: options.seed,
    cycles: 0,
    directories: 0,
    acknowledged: { adds: 0, completions: 0, deaths: 0, moves: 0, total: 0 },
    lost: 0,
    lostToBuffer: 0,
    duplicates: new Map(),
    violations: [],
    keptDirs: 0,
    ms: 0,
  }
  const work: Promise<void>[] = []
  for (let lane = 0; lane < lanes; lane++) {
    const share = Math.floor(options.cycles / lanes) + (lane < options.cycles % lanes ? 1 : 0)
    work.push(runLane(lane, share, master.fork(), options, summary))
  }
  await Promise.all(work)
  summary.ms = Date.now() - started
  return summary
}

async function runLane(lane: number, cycles: number, rng: Rng, options: Kill9Options, summary: Kill9Summary): Promise<void> {
  const perDir = options.cyclesPerDir ?? 25
  const modes = options.modes ?? ['sync', 'sync-enqueue', 'sync', 'interval', 'sync', 'os', 'buffered']
  // One child is always starting up ahead of the one at work, across directories too.
  const warm = { next: new WarmChild() }
  let done = 0
  try {
    for (let run = 0; done < cycles; run++) {
      const mode = modes[(lane + run * 2) % modes.length]
      const count = Math.min(perDir, cycles - done)
      await runDirectory(lane, mode, count, rng.fork(), options, summary, warm)
      done += count
    }
  } finally {
    await warm.next.dismiss()
  }
}

async function runDirectory(
  lane: number,
  mode: KillMode,
  cycles: number,
  rng: Rng,
  options: Kill9Options,
  summary: Kill9Summary,
  warm: { next: WarmChild },
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), `wq-kill9-${lane}-`))
  const ledger = new Kill9Ledger(KILL_GUARANTEES[mode])
  summary.directories++
  let keep = false
  try {
    for (let cycle = 1; cycle <= cycles; cycle++) {
      ledger.beginCycle(cycle)
      const child = warm.next
      warm.next = new WarmChild()
      const t0 = performance.now()
      const reports = await runOneCycle(child, dir, mode, rng, ledger, options)
      const t1 = performance.now()
      // Debug aid: keep the directory as each kill left it (WQ_KILL9_KEEP=<dir>).
      if (process.env.WQ_KILL9_KEEP) await cp(dir, join(process.env.WQ_KILL9_KEEP, `lane${lane}-${basename(dir)}-cycle${cycle}`), { recursive: true })
      if (process.env.WQ_KILL9_TIMING) console.log(`cycle ${cycle}: child ${(t1 - t0).toFixed(0)} ms, reports ${reports}`)
      summary.cycles++
      options.onCycle?.({ lane, cycle, mode, reports })
    }
    // Each child checked the crash before it (its recovery reports the state); the parent checks the last one.
    ledger.beginCycle(cycles + 1)
    ledger.afterCrash((await observeDirectory(dir)).jobs)
  } finally {
    const a = ledger.acknowledged
    summary.acknowledged.adds += a.adds
    summary.acknowledged.completions += a.completions
    summary.acknowledged.deaths += a.deaths
    summary.acknowledged.moves += a.moves
    summary.acknowledged.total += ledger.operationsAcknowledged
    summary.lost += ledger.lost
    summary.lostToBuffer += ledger.lostToBuffer
    for (const [cause, n] of ledger.duplicates) summary.duplicates.set(cause, (summary.duplicates.get(cause) ?? 0) + n)
    for (const v of ledger.violations) summary.violations.push({ ...v, lane, dir, mode })
    // Keep the first few failing directories for `wq verify`/`wq dump`, not one per failure.
    keep = ledger.violations.length > 0 && summary.keptDirs++ < KEEP_FAILING_DIRS
    // A failing directory is kept for `wq verify`/`wq dump`; a clean one is removed.
    if (!keep) await rm(dir, { recursive: true, force: true })
  }
}

/** Start the warm child, let it load, kill it. Returns how many reports it made. */
async function runOneCycle(
  child: WarmChild,
  dir: string,
  mode: KillMode,
  rng: Rng,
  ledger: Kill9Ledger,
  options: Kill9Options,
): Promise<number> {
  let reports = 0
  // When to kill: after a random number of reports (so each cycle does some work however busy the machine
  // is) plus a little jitter, or at a random time cap, whichever comes first. Both land at arbitrary points
  // of the load: between an acknowledgement and the next write, mid-fsync, mid-snapshot, mid-compaction.
  const [min, max] = options.killAfterMs ?? [30, 300]
  const reportsBeforeKill = rng.int(options.maxReportsBeforeKill ?? 100)
  const t0 = performance.now()
  let tReady = 0
  let tKill = 0
  const kill = () => {
    tKill = performance.now()
    child.kill()
  }
  let timer: NodeJS.Timeout | undefined
  let cap: NodeJS.Timeout | undefined
  // Sometimes kill at any moment from the start: during open, recovery or queue set-up.
  if (rng.chance(options.earlyKillRate ?? 0.1)) timer = setTimeout(kill, rng.int(max))
  const readyTimeout = setTimeout(kill, 15_000)
  const trace = process.env.WQ_KILL9_TRACE
  let sinceReady = -1
  child.start(
    { dir, durability: mode, seed: rng.u32(), groupNext: ledger.groupNext(), noDelays: options.noDelays === true },
    (r: ChildReport) => {
      reports++
      if (trace) appendFileSync(trace, `${dir} ${JSON.stringify(r)}\n`)
      if (r.t === 'ready') {
        tReady = performance.now()
        clearTimeout(readyTimeout)
        sinceReady = 0
        if (!timer) cap = setTimeout(kill, rng.range(min, max))
      } else if (sinceReady >= 0 && ++sinceReady === reportsBeforeKill && !timer) {
        timer = setTimeout(kill, rng.int(15))
      }
      ledger.onReport(r)
    },
  )
  const code = await child.done
  if (process.env.WQ_KILL9_TIMING) {
    console.log(`  ready after ${(tReady - t0).toFixed(0)} ms, killed at ${(tKill - t0).toFixed(0)} ms, reaped at ${(performance.now() - t0).toFixed(0)} ms`)
  }
  clearTimeout(timer)
  clearTimeout(readyTimeout)
  if (!child.killedByUs) {
    ledger.violate('child-exited', `child exited by itself (code ${code}, mode ${mode}): ${child.lastStderr}`)
  }
  return reports
}

/** One line: what ran, what was acknowledged, what was lost, duplicates with their cause. */
export function formatKill9Summary(s: Kill9Summary): string {
  const dups = [...s.duplicates].map(([cause, n]) => `${n} (${cause})`).join(', ') || '0'
  const a = s.acknowledged
  return (
    `kill -9: seed=${s.seed} cycles=${s.cycles} dirs=${s.directories} ` +
    `acknowledged=${a.total} (adds ${a.adds}, completions ${a.completions}, dead ${a.deaths}, moves ${a.moves}) ` +
    `lost=${s.lost} lost-with-buffer=${s.lostToBuffer} (buffered, ≤ ${4 * BUFFER_RECORDS} per crash) ` +
    `duplicates=${dups} violations=${s.violations.length} in ${(s.ms / 1000).toFixed(1)}s`
  )
}
