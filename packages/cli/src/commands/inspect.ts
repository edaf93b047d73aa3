/**
 * `wq inspect <dir>`: per pipeline, its segments, snapshots, lock holder, the
 * counts of each queue by state and its cron schedules. Read-only: works while an engine runs.
 */
import type { Command } from 'commander'
import type { SegmentInfo, SnapshotInfo } from '@wq/wal'
import type { QueueSummary, ScheduleSummary } from '@wq/engine/inspect'
import { openDataDir, pipelineDir, selectPipelines } from '../data-dir.js'
import { CliError, ExitCode, toCliError } from '../errors.js'
import { withExamples } from '../help.js'
import { c } from '../output/colour.js'
import { formatBytes, formatInt, formatTime } from '../output/format.js'
import { printJson, printText } from '../output/print.js'
import { createProgress } from '../output/progress.js'
import { renderQueueTable, renderScheduleTable } from '../output/queues.js'
import { renderFields, renderTable } from '../output/table.js'

interface InspectOptions {
  pipeline?: string
  files?: boolean
  json?: boolean
}

/** Everything `inspect` knows about one pipeline (also its --json shape). */
export interface PipelineReport {
  name: string
  dir: string
  lock: { locked: boolean; pid: number | null }
  segments: { count: number; bytes: number; firstLsn: number | null; lastLsn: number | null; files: SegmentInfo[] }
  snapshots: SnapshotInfo[]
  state: { lastLsn: number; snapshotLsn: number | null; queues: QueueSummary[]; schedules: ScheduleSummary[] } | null
  /** Why `state` is null (corruption), with file and offset. */
  error?: string
}

export function registerInspect(program: Command): void {
  const cmd = program
    .command('inspect')
    .description('show pipelines, segments, snapshots, the lock holder, per-queue counts by state and cron schedules')
    .argument('<dir>', 'engine data directory (or one pipeline directory)')
    .option('-p, --pipeline <name>', 'only this pipeline')
    .option('--files', 'list every segment and snapshot file')
    .option('--json', 'print as JSON')
    .action(async (dir: string, opts: InspectOptions) => runInspect(dir, opts))
  withExamples(cmd, ['wq inspect ./data', 'wq inspect ./data --pipeline billing --files', 'wq inspect ./data --json | jq .pipelines[0].state.queues'])
}

async function runInspect(dir: string, opts: InspectOptions): Promise<void> {
  const data = await openDataDir(dir)
  const reports: PipelineReport[] = []
  for (const name of selectPipelines(data, opts.pipeline)) reports.push(await inspectPipeline(data.root, name, pipelineDir(data, name)))
  if (opts.json) printJson({ root: data.root, pipelines: reports })
  else printText(reports.map((r) => renderReport(r, opts.files === true)).join('\n\n'))
  if (reports.some((r) => r.error !== undefined)) process.exitCode = ExitCode.corrupt
}

/** Reads one pipeline without taking its lock. */
export async function inspectPipeline(root: string, name: string, dir: string): Promise<PipelineReport> {
  const { WalReader, readLockHolder } = await import('@wq/wal')
  const { openView } = await import('@wq/engine/inspect')
  let reader
  try {
    reader = await WalReader.open(dir)
  } catch (err) {
    // A broken segment header: report this pipeline as unreadable and go on with the others.
    const mapped = toCliError(err)
    if (!(mapped instanceof CliError) || mapped.exitCode !== ExitCode.corrupt) throw err
    return {
      name,
      dir,
      lock: await readLockHolder(dir),
      segments: { count: 0, bytes: 0, firstLsn: null, lastLsn: null, files: [] },
      snapshots: [],
      state: null,
      error: mapped.message,
    }
  }
  const files = reader.segments()
  const nonEmpty = files.filter((s) => s.lastLsn >= s.firstLsn)
  const report: PipelineReport = {
    name,
    dir,
    lock: await readLockHolder(dir),
    segments: {
      count: files.length,
      bytes: files.reduce((sum, s) => sum + s.bytes, 0),
      firstLsn: nonEmpty.length > 0 ? nonEmpty[0].firstLsn : null,
      lastLsn: nonEmpty.length > 0 ? nonEmpty[nonEmpty.length - 1].lastLsn : null,
      files,
    },
    snapshots: await reader.snapshots(),
    state: null,
  }
  const progress = createProgress({ label: `reading ${name}`, total: 0 })
  try {
    const view = await openView(root, { pipeline: name, onProgress: (done, total) => progress.update(done, total) })
    report.state = { lastLsn: view.lastLsn, snapshotLsn: view.snapshotLsn, queues: view.queues(), schedules: view.schedules() }
  } catch (err) {
    const mapped = toCliError(err)
    if (!(mapped instanceof CliError) || mapped.exitCode !== ExitCode.corrupt) throw err
    report.error = mapped.message
  } finally {
    progress.stop()
  }
  return report
}

function renderReport(r: PipelineReport, listFiles: boolean): string {
  const lock = r.lock.locked
    ? c.yellow(`locked by PID ${r.lock.pid ?? '?'}`) + c.dim(' (a live engine: this view may trail it)')
    : c.dim('not locked')
  const seg = r.segments
  const newest = r.snapshots.length > 0 ? r.snapshots[r.snapshots.length - 1] : undefined
  const unreadable = r.error !== undefined && seg.count === 0
  const fields: [string, string][] = [
    [
      'segments',
      unreadable ? c.red('unreadable') :
      `${seg.count} · ${formatBytes(seg.bytes)}` + (seg.firstLsn === null ? ' · empty' : ` · LSN ${formatInt(seg.firstLsn)} … ${formatInt(seg.lastLsn ?? 0)}`),
    ],
    [
      'snapshots',
      unreadable ? c.red('unreadable') : newest
        ? `${r.snapshots.length} · newest at LSN ${formatInt(newest.lsn)} · ${formatBytes(newest.bytes)} · ${formatTime(newest.createdAt)}`
        : 'none',
    ],
  ]
  if (r.state) {
    const replayed = r.state.lastLsn - (r.state.snapshotLsn ?? 0)
    fields.push([
      'state',
      `as of LSN ${formatInt(r.state.lastLsn)}` +
        c.dim(r.state.snapshotLsn === null ? ` (${formatInt(replayed)} records replayed)` : ` (snapshot ${formatInt(r.state.snapshotLsn)} + ${formatInt(replayed)} records)`),
    ])
  } else {
    fields.push(['state', c.red(`unreadable: ${r.error ?? 'unknown error'}`)])
  }
  const lines = [`${c.bold(`Pipeline ${r.name}`)}  ${lock}`, c.dim(`  ${r.dir}`), renderFields(fields, '  ')]
  if (listFiles) {
    lines.push('')
    lines.push(
      renderTable(
        [{ header: 'FILE' }, { header: 'FIRST LSN', align: 'right' }, { header: 'LAST LSN', align: 'right' }, { header: 'BYTES', align: 'right' }],
        [
          ...seg.files.map((s) => [baseName(s.file), formatInt(s.firstLsn), formatInt(s.lastLsn), formatBytes(s.bytes)]),
          ...r.snapshots.map((s) => [baseName(s.file), '', formatInt(s.lsn), formatBytes(s.bytes)]),
        ],
        '  ',
      ),
    )
  }
  if (r.state) {
    lines.push('')
    lines.push(renderQueueTable(r.state.queues))
    if (r.state.schedules.length > 0) lines.push('', renderScheduleTable(r.state.schedules))
  }
  return lines.join('\n')
}

function baseName(file: string): string {
  const i = file.lastIndexOf('/')
  return i >= 0 ? file.slice(i + 1) : file
}
