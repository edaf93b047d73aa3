/**
 * Engine benchmarks: end-to-end add + process (no-op handler, concurrency
 * 100) per durability mode, addBulk, replay and snapshot-load speed, and
 * memory per waiting job. Writes its table to bench/RESULTS.md (section
 * "engine"). `--quick` runs small sizes (a smoke run, not a measurement).
 *
 *   pnpm bench:engine [--quick] [--only e2e,bulk,recovery,memory]
 */
import { fork } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Engine, type DurabilityMode } from '@wq/engine'
import { machineFacts, table, writeSection } from '../results-md.js'

const quick = process.argv.includes('--quick')
const onlyIdx = process.argv.findIndex((a) => a === '--only' || a.startsWith('--only='))
const onlyValue = onlyIdx < 0 ? undefined : process.argv[onlyIdx].includes('=') ? process.argv[onlyIdx].slice(7) : process.argv[onlyIdx + 1]
const only = onlyValue === undefined ? null : new Set(onlyValue.split(','))
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

async function untilCompleted(engine: Engine, queue: string, n: number): Promise<void> {
  const q = engine.queue(queue)
  while (q.stats().totals.completed < n) await new Promise((r) => setTimeout(r, 2))
}

/** Wall-clock rate and rate per CPU-second of this process (the latter is steadier on a shared machine). */
interface Rate { wall: number; cpu: number }

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
  q.process(() => undefined, { concurrency: 100 })
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  let next = 0
  const producer = async () => {
    while (next < n) await q.add(payload(next++))
  }
  await Promise.all(Array.from({ length: 1000 }, producer))
  await untilCompleted(engine, 'bench', n)
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
  const n = quick ? 20_000 : 300_000
  const bulkN = quick ? 100_000 : 1_000_000
  const rows: (string | number)[][] = []
  const want = (k: string) => only === null || only.has(k)
  const pressureBefore = cpuPressure()
  console.log(`engine benchmark${quick ? ' (quick)' : ''}: ${machineFacts()}, ${pressureBefore}`)

  if (want('e2e')) {
    const targets: Partial<Record<DurabilityMode, string>> = { sync: '≥ 100,000', buffered: '≥ 250,000' }
    for (const mode of ['sync', 'sync-enqueue', 'interval', 'os', 'buffered', 'memory'] as DurabilityMode[]) {
      const rate = await endToEnd(mode, n)
      console.log(`e2e ${mode}: ${fmt(rate.wall)} jobs/s (${fmt(rate.cpu)} per CPU-second)`)
      rows.push([`end-to-end add + process, ${mode}`, `${fmt(rate.wall)} jobs/s`, `${fmt(rate.cpu)}`, targets[mode] ?? '', `${fmt(n)} jobs, 1,000 producers, concurrency 100`])
    }
  }
  let bulkDir = ''
  if (want('bulk') || want('recovery') || want('memory')) {
    const b = await bulk(bulkN)
    bulkDir = b.dir
    console.log(`addBulk sync: ${fmt(b.rate.wall)} jobs/s (${fmt(b.rate.cpu)} per CPU-second)`)
    rows.push(['addBulk, sync', `${fmt(b.rate.wall)} jobs/s`, fmt(b.rate.cpu), '≥ 500,000', `${fmt(bulkN)} jobs in addBulk calls of 10,000`])
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
    rows.push([`start-up from a snapshot of ${fmt(bulkN)} waiting jobs`, `${fmt(fromSnap.ms)} ms (${fmt(bulkN / (fromSnap.ms / 1000))} jobs/s)`, '', '< 2,000 ms', 'Engine.open after compaction: WAL open + snapshot read + decode'])
    rows.push([`start-up by replaying the WAL (no snapshot)`, `${fmt(replay.ms)} ms (${fmt(bulkN / (replay.ms / 1000))} jobs/s)`, '', '', `${fmt(replay.replayed)} addBulk records holding ${fmt(bulkN)} jobs`])
  }
  if (want('memory')) {
    const m = await runChild(bulkDir, 'snapshot', bulkN)
    const live = await runChild(bulkDir, 'live', bulkN)
    for (const [label, r] of [['loaded from snapshot', m], ['added live (memory mode)', live]] as const) {
      console.log(`memory ${label}: ${fmt(r.rss / 2 ** 20)} MB RSS for ${fmt(r.waiting)} jobs`)
      rows.push([`RSS with ${fmt(r.waiting)} waiting ~100-byte jobs, ${label}`, `${fmt(r.rss / 2 ** 20)} MB (${fmt((r.rss - r.base) / r.waiting)} B/job over baseline, heap ${fmt(r.heap / 2 ** 20)} MB)`, '', bulkN >= 1_000_000 ? '≤ 400 MB' : '', `after GC; load ${fmt(r.ms)} ms`])
    }
  }
  const md = [
    '## Engine (`pnpm bench:engine`)',
    '',
    `${quick ? '**Quick run (small sizes, not a measurement).** ' : ''}Measured on ${machineFacts()}, ${new Date().toISOString().slice(0, 10)}; ${pressureBefore} at the start, ${cpuPressure()} at the end.`,
    `End-to-end = 1,000 concurrent producers each awaiting \`add\` on a queue bounded at \`maxPending\` ${fmt(MAX_PENDING)} (so \`add\` waits for room: a steady state, not a backlog piled up and drained), a no-op handler at concurrency 100, timed until every completion is durably applied.`,
    '"per CPU-second" divides by the CPU time this process used (main thread, GC and I/O threads): on a shared, busy machine it is the steadier figure.',
    '',
    table(['what', 'result', 'per CPU-second', 'target', 'how'], rows),
  ].join('\n')
  writeSection('engine', md)
  rmSync(ROOT, { recursive: true, force: true })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
