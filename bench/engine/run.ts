/**
 * Engine benchmarks: end-to-end add + process (no-op handler, concurrency
 * 100) per durability mode, addBulk, replay and snapshot-load speed, and
 * memory per waiting job. Writes its table to bench/RESULTS.md (section
 * "engine"). `--quick` runs small sizes (a smoke run, not a measurement) and
 * only prints unless given `--write`.
 *
 *   pnpm bench:engine [--quick] [--runs=N] [--only e2e,bulk,recovery,memory] [--write | --no-write]
 *
 * Throughput rows are the median of `--runs` runs (3 by default); the end-to-end
 * runs go round the modes in turn, so a slow spell of the machine falls on
 * every mode rather than on one.
 */
import { fork } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Engine, type DurabilityMode } from '@wq/engine'
import { machineFacts, table, writeSection } from '../results-md.js'
import { atLeast, atMost, below, parseEngineOptions, rateCell, status, summarize, type Rate, type Target } from './summary.js'

const ROOT = fileURLToPath(new URL('../../.data/bench-engine/', import.meta.url))
const silent = { info() {}, warn() {}, error() {} }
const BODY = 'x'.repeat(60)
const payload = (i: number) => ({ id: i, to: 'user@example.com', body: BODY }) // ~100 bytes encoded

function fresh(name: string): string {
  const dir = join(ROOT, name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  return dir
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/**
 * Resolves once the queue has applied `n` completions. It listens for `drained` (nothing waiting or
 * running), which fires rarely, rather than for every `completed`: a listener there would make the
 * engine build an event per job, a cost the rows are not meant to include.
 */
function completions(q: ReturnType<Engine['queue']>, n: number): Promise<void> {
  return new Promise((resolve) => {
    q.on('drained', () => {
      if (q.stats().totals.completed >= n) resolve()
    })
  })
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since)
  return (c.user + c.system) / 1e6
}

/** CPU pressure (share of time runnable tasks waited for a CPU), when the kernel reports it. */
function cpuPressure(): string {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0]
    return `CPU pressure ${line.match(/avg60=([\d.]+)/)?.[1] ?? '?'}%`
  } catch {
    return 'CPU pressure unknown'
  }
}

/**
 * Waiting jobs allowed in the end-to-end runs. Without a bound, in `memory` and `buffered` mode an add
 * resolves at once and the 1,000 producers ran ahead of the workers: the largest backlog was 298,976 of
 * 300,000 jobs in `memory` and ~95,000 in `buffered`, so those rows timed piling up a backlog and draining
 * it rather than a steady state. A bounded queue (back-pressure: `add` waits for room) is what a service
 * with that many producers would run.
 */
const MAX_PENDING = 1_000

/** N jobs added by 1,000 concurrent producers while a no-op handler runs at concurrency 100. */
async function endToEnd(durability: DurabilityMode, n: number): Promise<Rate> {
  const dir = durability === 'memory' ? undefined : fresh(`e2e-${durability}`)
  const engine = await Engine.open({ dir, durability, logger: silent, snapshotEvery: false })
  const q = engine.queue('bench', { maxPending: MAX_PENDING })
  const allDone = completions(q, n)
  q.process(() => undefined, { concurrency: 100 })
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  let next = 0
  const producer = async () => {
    while (next < n) await q.add(payload(next++))
  }
  await Promise.all(Array.from({ length: 1000 }, producer))
  await allDone
  const rate = { wall: n / ((performance.now() - t0) / 1000), cpu: n / cpuSeconds(c0) }
  await engine.close()
  return rate
}

async function bulk(n: number): Promise<{ rate: Rate; dir: string }> {
  const dir = fresh('bulk')
  // Keep the segments after the close snapshot: the replay measurement deletes the snapshot and replays them.
  const engine = await Engine.open({ dir, durability: 'sync', logger: silent, snapshotEvery: false, compactAfterSnapshot: false })
  const q = engine.queue('bench')
  const chunk = 10_000
  const items = Array.from({ length: chunk }, (_, i) => ({ data: payload(i) }))
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  for (let done = 0; done < n; done += chunk) await q.addBulk(items)
  const rate = { wall: n / ((performance.now() - t0) / 1000), cpu: n / cpuSeconds(c0) }
  await engine.close() // takes a snapshot
  return { rate, dir }
}

async function timedOpen(dir: string): Promise<{ ms: number; replayed: number; snapshot: boolean }> {
  const t0 = performance.now()
  const engine = await Engine.open({ dir, durability: 'sync', logger: silent, snapshotEvery: false, compactAfterSnapshot: false })
  const ms = performance.now() - t0
  const rec = engine.recovery.get('default')!
  await engine.close()
  return { ms, replayed: rec.replayed, snapshot: rec.snapshotLsn !== null }
}

function runChild(dir: string, how: 'snapshot' | 'live', n: number): Promise<{ rss: number; base: number; waiting: number; ms: number; heap: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./memory-child.mjs', import.meta.url)), [how, dir, String(n)], { execArgv: ['--expose-gc'] })
    child.once('message', (m) => resolve(m as never))
    child.once('exit', (code) => { if (code !== 0) reject(new Error(`memory child exited ${code}`)) })
  })
}

async function main(): Promise<void> {
  const opts = parseEngineOptions(process.argv.slice(2))
  const { quick, runs } = opts
  const n = quick ? 20_000 : 300_000
  const bulkN = quick ? 100_000 : 1_000_000
  const rows: (string | number)[][] = []
  const want = (k: string) => opts.only === null || opts.only.has(k)
  // A quick run's small sizes say nothing about the targets: they are shown, not judged.
  const judge = (target: Target | undefined, value: number) => (quick ? '' : status(target, value))
  const pressureBefore = cpuPressure()
  console.log(`engine benchmark${quick ? ' (quick)' : ''}, ${runs} run(s) per throughput row: ${machineFacts()}, ${pressureBefore}`)

  if (want('e2e')) {
    const targets: Partial<Record<DurabilityMode, Target>> = { sync: atLeast(100_000), buffered: atLeast(250_000) }
    const modes: DurabilityMode[] = ['sync', 'sync-enqueue', 'interval', 'os', 'buffered', 'memory']
    const results = new Map<DurabilityMode, Rate[]>(modes.map((m) => [m, []]))
    for (let run = 1; run <= runs; run++) {
      for (const mode of modes) {
        const rate = await endToEnd(mode, n)
        results.get(mode)!.push(rate)
        console.log(`e2e ${mode} (run ${run}/${runs}): ${fmt(rate.wall)} jobs/s (${fmt(rate.cpu)} per CPU-second)`)
      }
    }
    for (const mode of modes) {
      const s = summarize(results.get(mode)!)
      rows.push([`end-to-end add + process, ${mode}`, rateCell(s), fmt(s.cpu), targets[mode]?.text ?? '', judge(targets[mode], s.wall), `${fmt(n)} jobs, 1,000 producers, concurrency 100`])
    }
  }
  let bulkDir = ''
  if (want('bulk') || want('recovery') || want('memory')) {
    // Only the bulk rate needs repeating; the recovery and memory rows read the last run's log.
    const bulkRuns = want('bulk') ? runs : 1
    const rates: Rate[] = []
    for (let run = 1; run <= bulkRuns; run++) {
      const b = await bulk(bulkN)
      bulkDir = b.dir
      rates.push(b.rate)
      console.log(`addBulk sync (run ${run}/${bulkRuns}): ${fmt(b.rate.wall)} jobs/s (${fmt(b.rate.cpu)} per CPU-second)`)
    }
    if (want('bulk')) {
      const s = summarize(rates)
      const target = atLeast(500_000)
      rows.push(['addBulk, sync', rateCell(s), fmt(s.cpu), target.text, judge(target, s.wall), `${fmt(bulkN)} jobs in addBulk calls of 10,000`])
    }
  }
  if (want('recovery')) {
    // Replay first (the segments are all there), then compact and time the usual start-up: snapshot + short tail.
    for (const f of readdirSync(join(bulkDir, 'default'))) if (f.startsWith('snapshot-')) unlinkSync(join(bulkDir, 'default', f))
    const replay = await timedOpen(bulkDir)
    console.log(`replay: ${fmt(replay.replayed)} records in ${fmt(replay.ms)} ms`)
    const compactor = await Engine.open({ dir: bulkDir, durability: 'sync', logger: silent, snapshotEvery: false })
    await compactor.snapshot()
    await compactor.compact()
    await compactor.close()
    const fromSnap = await timedOpen(bulkDir)
    console.log(`start-up from snapshot: ${fmt(fromSnap.ms)} ms`)
    const target = below(2_000, 'ms')
    rows.push([`start-up from a snapshot of ${fmt(bulkN)} waiting jobs`, `${fmt(fromSnap.ms)} ms (${fmt(bulkN / (fromSnap.ms / 1000))} jobs/s)`, '', target.text, judge(target, fromSnap.ms), 'Engine.open after compaction: WAL open + snapshot read + decode'])
    rows.push([`start-up by replaying the WAL (no snapshot)`, `${fmt(replay.ms)} ms (${fmt(bulkN / (replay.ms / 1000))} jobs/s)`, '', '', '', `${fmt(replay.replayed)} records, the addBulk ones holding ${fmt(bulkN)} jobs`])
  }
  if (want('memory')) {
    const m = await runChild(bulkDir, 'snapshot', bulkN)
    const live = await runChild(bulkDir, 'live', bulkN)
    const target = bulkN >= 1_000_000 ? atMost(400, 'MB') : undefined
    for (const [label, r] of [['loaded from snapshot', m], ['added live (memory mode)', live]] as const) {
      const mb = r.rss / 2 ** 20
      console.log(`memory ${label}: ${fmt(mb)} MB RSS for ${fmt(r.waiting)} jobs`)
      rows.push([`RSS with ${fmt(r.waiting)} waiting ~100-byte jobs, ${label}`, `${fmt(mb)} MB (${fmt((r.rss - r.base) / r.waiting)} B/job over baseline, heap ${fmt(r.heap / 2 ** 20)} MB)`, '', target?.text ?? '', judge(target, Math.round(mb)), `after GC; load ${fmt(r.ms)} ms`])
    }
  }
  const md = [
    '## Engine (`pnpm bench:engine`)',
    '',
    `${quick ? '**Quick run (small sizes, not a measurement).** ' : ''}Measured on ${machineFacts()}, ${new Date().toISOString().slice(0, 10)}; ${pressureBefore} at the start, ${cpuPressure()} at the end.`,
    runs === 1
      ? 'Throughput rows: one run each (a full run takes the median of three). Start-up and memory: one run.'
      : `Throughput rows: the median of ${runs} runs (their range in brackets), the target judged on the median; the end-to-end runs went round the modes in turn. Start-up and memory: one run.`,
    `End-to-end = 1,000 concurrent producers each awaiting \`add\` on a queue bounded at \`maxPending\` ${fmt(MAX_PENDING)} (so \`add\` waits for room: a steady state, not a backlog piled up and drained), a no-op handler at concurrency 100, timed until every completion is durably applied.`,
    '"per CPU-second" divides by the CPU time this process used (main thread, GC and I/O threads): on a shared, busy machine it is the steadier figure.',
    '',
    table(['what', 'result', 'per CPU-second', 'target', '', 'how'], rows),
  ].join('\n')
  if (opts.write) writeSection('engine', md)
  else console.log(`\n${md}\n\n(bench/RESULTS.md left as it was${quick ? ': a quick run writes it only with --write' : ''})`)
  rmSync(ROOT, { recursive: true, force: true })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
