/**
 * Renders a run as the `compare` section of bench/RESULTS.md: machine and disk
 * facts, the targets, one table per workload with each wq row's ratio to the
 * peer at the same durability, and the large-backlog table.
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Collected, RunResult } from './collected.js'
import { backlogTable } from './report-backlog.js'
import { table } from '../results-md.js'
import { int, median, ms, ratio } from './stats.js'
import { peerFor, type SystemConfig } from './systems.js'
import type { Workload } from './workloads.js'

const PEERS = [
  { family: 'bullmq', name: 'BullMQ' },
  { family: 'sqlite', name: 'SQLite' },
  { family: 'fastq', name: 'fastq' },
] as const

const FINDINGS_FILE = fileURLToPath(new URL('./findings.md', import.meta.url))

/** Hand-written notes on profiles and fixes, kept in a file so every rerun carries them into RESULTS.md. */
function readFindings(): string | undefined {
  return existsSync(FINDINGS_FILE) ? readFileSync(FINDINGS_FILE, 'utf8').trim() : undefined
}

interface Row {
  system: SystemConfig
  runs: RunResult[]
  jobsPerSec: number
}

function rowsFor(c: Collected, w: Workload): Row[] {
  const byId = c.results.get(w.id)
  if (!byId) return []
  return c.systems.flatMap((system) => {
    const runs = byId.get(system.id)
    return runs && runs.length > 0 ? [{ system, runs, jobsPerSec: median(runs.map((r) => r.jobsPerSec)) }] : []
  })
}

/** Median jobs/s of `system` in workload `w`, if it ran. */
export function jobsPerSec(c: Collected, workloadId: string, systemId: string): number | undefined {
  const runs = c.results.get(workloadId)?.get(systemId)
  return runs && runs.length > 0 ? median(runs.map((r) => r.jobsPerSec)) : undefined
}

function rssCell(runs: RunResult[]): string {
  const client = Math.max(...runs.map((r) => r.rssMb))
  const server = runs.map((r) => r.serverRssMb).filter((v): v is number => v !== undefined)
  return server.length > 0 ? `${int(client)} + ${int(Math.max(...server))} Redis` : int(client)
}

function jobsCell(row: Row): string {
  const capped = row.runs.some((r) => r.capped)
  const spread = row.runs.length > 1 ? ` (${int(Math.min(...row.runs.map((r) => r.jobsPerSec)))}–${int(Math.max(...row.runs.map((r) => r.jobsPerSec)))})` : ''
  return `${int(row.jobsPerSec)}${capped ? ' †' : ''}${spread}`
}

function diskCell(c: Collected, w: Workload, row: Row): string {
  if (!c.disk || row.system.durabilityClass === 'none') return ''
  const share = ((row.jobsPerSec * w.payload) / 1e6 / c.disk.sequentialWriteMBps) * 100
  const perFsync = row.system.durabilityClass === 'fsync' ? ` · ${(row.jobsPerSec / c.disk.fdatasyncOverwritePerSec).toFixed(1)} jobs/fsync` : ''
  return `${share < 1 ? share.toFixed(2) : share.toFixed(0)}% seq.${perFsync}`
}

function ratioCells(rows: Row[], row: Row, value: (r: Row) => number | undefined, higherIsBetter: boolean): string[] {
  return PEERS.map(({ family }) => {
    if (row.system.family !== 'wq') return ''
    const peer = peerFor(row.system, family)
    const peerRow = peer && rows.find((r) => r.system.id === peer.id)
    const mine = value(row)
    const theirs = peerRow && value(peerRow)
    if (mine === undefined || theirs === undefined) return '—'
    return ratio(higherIsBetter ? mine / theirs : theirs / mine)
  })
}

function latency(runs: RunResult[], pick: (r: RunResult) => number | undefined): number {
  return median(runs.map((r) => pick(r) ?? NaN))
}

function throughputTable(c: Collected, w: Workload): string {
  const rows = rowsFor(c, w)
  const withLatency = w.kind === 'e2e'
  const ackColumn = w.kind === 'enqueue-one' ? 'add→ack p50 / p99 ms' : w.kind === 'enqueue-bulk' ? 'batch add→ack p50 / p99 ms' : undefined
  const header = ['System', 'Durability', 'jobs/s median (min–max)']
  if (ackColumn !== undefined) header.push(ackColumn)
  if (withLatency) header.push('add→start p50 / p99 ms', 'add→complete p50 / p99 ms')
  header.push('peak RSS MiB', 'disk use', ...PEERS.map((p) => `wq ÷ ${p.name}`))
  const body = rows.map((row) => {
    const cells = [row.system.label, row.system.durability, jobsCell(row)]
    if (ackColumn !== undefined) cells.push(`${ms(latency(row.runs, (r) => r.addToAck?.p50))} / ${ms(latency(row.runs, (r) => r.addToAck?.p99))}`)
    if (withLatency) {
      cells.push(
        `${ms(latency(row.runs, (r) => r.addToStart?.p50))} / ${ms(latency(row.runs, (r) => r.addToStart?.p99))}`,
        `${ms(latency(row.runs, (r) => r.addToComplete?.p50))} / ${ms(latency(row.runs, (r) => r.addToComplete?.p99))}`,
      )
    }
    cells.push(rssCell(row.runs), diskCell(c, w, row), ...ratioCells(rows, row, (r) => r.jobsPerSec, true))
    return cells
  })
  return table(header, body)
}

/** A steady run that had finished less than this share of its jobs when the last was offered fell behind. */
const SATURATED_SHARE = 0.8

function steadyTable(c: Collected, w: Workload): string {
  const rows = rowsFor(c, w)
  const p99 = (r: Row) => latency(r.runs, (x) => x.addToComplete?.p99)
  const header = ['System', 'Durability', 'completed / offered', 'add→start p50 / p99 ms', 'add→complete p50 / p99 ms', 'peak RSS MiB', ...PEERS.map((p) => `p99 ${p.name} ÷ wq`)]
  const body = rows.map((row) => {
    const done = Math.min(...row.runs.map((r) => r.done))
    // Behind: fewer than SATURATED_SHARE of the jobs had completed when the last was offered (the backlog grew).
    const keptUp = Math.min(...row.runs.map((r) => r.completedWhenOffered ?? r.done))
    const saturated = done < w.count || keptUp < SATURATED_SHARE * w.count
    return [
      row.system.label,
      row.system.durability,
      `${int(done)} / ${int(w.count)}${saturated ? ' (saturated)' : ''}`,
      `${ms(latency(row.runs, (r) => r.addToStart?.p50))} / ${ms(latency(row.runs, (r) => r.addToStart?.p99))}`,
      `${ms(latency(row.runs, (r) => r.addToComplete?.p50))} / ${ms(latency(row.runs, (r) => r.addToComplete?.p99))}`,
      rssCell(row.runs),
      ...ratioCells(rows, row, p99, false),
    ]
  })
  return table(header, body)
}

interface TargetCheck {
  text: string
  wq: string
  peer: string
  /** ≥ min means met */
  min: number
  /** value = wq / peer, or for a ceiling target peer / wq inverted by `within` */
  within?: boolean
}

const TARGETS: TargetCheck[] = [
  { text: 'wq sync ≥ 10× BullMQ appendfsync always', wq: 'wq-sync', peer: 'bullmq-always', min: 10 },
  { text: 'wq sync ≥ 10× SQLite FULL', wq: 'wq-sync', peer: 'sqlite-full', min: 10 },
  { text: 'wq sync-enqueue ≥ 10× BullMQ appendfsync always', wq: 'wq-sync-enqueue', peer: 'bullmq-always', min: 10 },
  { text: 'wq sync-enqueue ≥ 10× SQLite FULL', wq: 'wq-sync-enqueue', peer: 'sqlite-full', min: 10 },
  { text: 'wq interval ≥ 10× BullMQ everysec', wq: 'wq-interval', peer: 'bullmq-everysec', min: 10 },
  { text: 'wq interval ≥ 10× SQLite NORMAL', wq: 'wq-interval', peer: 'sqlite-normal', min: 10 },
  { text: 'wq os ≥ 10× BullMQ everysec', wq: 'wq-os', peer: 'bullmq-everysec', min: 10 },
  { text: 'wq os ≥ 10× SQLite NORMAL', wq: 'wq-os', peer: 'sqlite-normal', min: 10 },
  { text: 'wq buffered ≥ 10× BullMQ no persistence', wq: 'wq-buffered', peer: 'bullmq-off', min: 10 },
  { text: 'wq memory ≥ 10× BullMQ no persistence', wq: 'wq-memory', peer: 'bullmq-off', min: 10 },
  { text: 'wq buffered within 3× of fastq', wq: 'wq-buffered', peer: 'fastq', min: 1 / 3, within: true },
]

/** The issue's targets, checked on the end-to-end workloads. */
export function targetRows(c: Collected): string[][] {
  const e2e = c.workloads.filter((w) => w.kind === 'e2e')
  return TARGETS.flatMap((t) =>
    e2e.flatMap((w) => {
      const mine = jobsPerSec(c, w.id, t.wq)
      const theirs = jobsPerSec(c, w.id, t.peer)
      if (mine === undefined || theirs === undefined) return []
      if (theirs === 0) return [[t.text, w.id, int(mine), '0', '—', 'not measurable: the peer finished no job within the cap']]
      const value = mine / theirs
      const shown = t.within ? `fastq is ${ratio(theirs / mine)} wq` : ratio(value)
      return [[t.text, w.id, int(mine), int(theirs), shown, value >= t.min ? 'met' : '**missed**']]
    }),
  )
}

/** Rows set beside fastq for its target: the two floors (adapters/fastq-floor.ts), then wq without and with its log. */
const FLOOR_ROWS = ['fastq-codec', 'fastq-wal', 'wq-memory', 'wq-buffered']

/**
 * How far below fastq each floor and wq row ran end to end. A floor that is
 * already more than 3× below fastq shows the target out of reach for any queue
 * that does what that floor does, however lean its own bookkeeping.
 */
export function floorRows(c: Collected): string[][] {
  return c.workloads.filter((w) => w.kind === 'e2e').flatMap((w) => {
    const ceiling = jobsPerSec(c, w.id, 'fastq')
    if (ceiling === undefined || ceiling === 0) return []
    return FLOOR_ROWS.flatMap((id) => {
      const system = c.systems.find((s) => s.id === id)
      const rate = jobsPerSec(c, w.id, id)
      if (system === undefined || rate === undefined || rate === 0) return []
      return [[w.id, system.label, int(rate), ratio(ceiling / rate), ceiling / rate <= 3 ? 'within 3×' : 'beyond 3×']]
    })
  })
}

function header(c: Collected): string {
  const o = c.options
  // A run saved before --target-runs existed ran every workload --runs times.
  const targetRuns = o.targetRuns ?? o.runs
  const lines = [
    '## Side by side with the queues users would pick instead',
    '',
    `Written by \`pnpm bench${o.quick ? ' --quick' : ''}\` (bench/compare) on ${c.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC${c.options.quick ? ' — **quick mode: small counts, one run; a smoke test, not figures to quote**' : ''}.`,
    '',
    `- Machine: ${c.machine}`,
    `- Versions: ${Object.entries(c.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- Each throughput figure is the median of ${runsText(o.runs)}${targetRuns !== o.runs ? `, and of ${runsText(targetRuns)} in the end-to-end tables, which the targets are judged on` : ''} (min–max in brackets); steady-state rows are one run each. Every run is a fresh child process with a fresh data directory${c.systems.some((s) => s.family === 'bullmq') ? ' (and a fresh redis-server)' : ''}. A run stops after ${o.maxSeconds} s and reports the jobs it finished (marked †; a process run whose prefill was cut short is marked too).`,
    '- Ratios: each wq row divided by the peer configuration with the same durability (fsync before ack: BullMQ `appendfsync always`, SQLite `FULL`; periodic fsync: `everysec`, `NORMAL`; none: Redis without persistence, and fastq for `buffered`/`memory`). Above 1× wq is faster.',
  ]
  if (c.disk) {
    lines.push(
      `- Disk (same directory, same run): ${int(c.disk.fdatasyncOverwritePerSec)} fdatasync/s rewriting 4 KiB in place, ${int(c.disk.fdatasyncAppendPerSec)} fdatasync/s appending 4 KiB, ${int(c.disk.sequentialWriteMBps)} MB/s sequential write${c.disk.cachedRewriteMBps === undefined ? '' : ` (${int(c.disk.cachedRewriteMBps)} MB/s rewriting the same pages while cached: a gap of several times means taking new pages into the page cache is the limit, not the device)`}. "disk use" is payload bytes/s as a share of that sequential rate; "jobs/fsync" is jobs/s over the fdatasync rate — above 1 only with group commit.`,
    )
  }
  for (const s of c.skipped) lines.push(`- **Skipped ${s.name}**: ${s.reason}`)
  for (const f of c.failures) lines.push(`- **Failed** ${f.system} in ${f.what}: ${f.error.split('\n')[0]}`)
  return lines.join('\n')
}

export function renderReport(c: Collected): string {
  const parts = [header(c)]
  const targets = targetRows(c)
  if (targets.length > 0) {
    parts.push('### Targets (end to end, equal durability)', table(['Target', 'Workload', 'wq jobs/s', 'peer jobs/s', 'ratio', ''], targets))
  }
  const floors = floorRows(c)
  if (floors.length > 0) {
    parts.push(
      '### The fastq target beside its floors (end to end)',
      'How many times faster fastq ran than each row. The two floors are not queues: the first packs each job\'s data with msgpack, copies it and unpacks it for the handler, which any queue that keeps jobs apart from its callers\' objects must do (BullMQ and SQLite queues serialize to JSON); the second also logs every add and completion in wq\'s WAL (`buffered`). No queue doing what a floor does can run closer to fastq than that floor.',
      table(['Workload', 'Row', 'jobs/s', 'fastq ÷ row', ''], floors),
    )
  }
  for (const w of c.workloads) {
    if (!c.results.get(w.id)?.size) continue
    parts.push(`### ${w.title}`)
    if (w.kind === 'steady') {
      parts.push(
        `Each job's clock starts at its scheduled time. *Saturated*: fewer than ${SATURATED_SHARE * 100} % of the jobs had completed when the last was offered, or some were still unfinished ${w.drainSeconds ?? 5} s later.`,
        steadyTable(c, w),
      )
    } else parts.push(throughputTable(c, w))
  }
  if (c.backlog.length > 0) parts.push(...backlogTable(c))
  const findings = readFindings()
  if (findings) parts.push('### Findings from profiles (bench/compare/findings.md)', findings)
  return parts.join('\n\n')
}

function runsText(n: number): string {
  return `${n} run${n > 1 ? 's' : ''}`
}
