/**
 * `wq replay <dir> --until LSN|TIME`: rebuilds a pipeline's state as of a
 * point in the log and shows it the way `inspect` does — "what did the
 * queues look like at 14:05?". Read-only.
 */
import type { Command } from 'commander'
import type { PipelineView } from '@wq/engine/inspect'
import { describePosition, parseJobState, parsePosition, parsePositiveInt, type LogPosition } from '../args.js'
import { openDataDir, pipelineDir, selectOnePipeline } from '../data-dir.js'
import { usageError } from '../errors.js'
import { withExamples } from '../help.js'
import { c } from '../output/colour.js'
import { formatInt } from '../output/format.js'
import { printJson, printText } from '../output/print.js'
import { createProgress } from '../output/progress.js'
import { renderJobTable, renderQueueTable, renderScheduleTable } from '../output/queues.js'

interface ReplayOptions {
  pipeline?: string
  until?: string
  jobs?: boolean
  queue?: string
  state?: string
  limit: string
  json?: boolean
}

export function registerReplay(program: Command): void {
  const cmd = program
    .command('replay')
    .description('rebuild the state as of a point in the log and show it as inspect would')
    .argument('<dir>', 'engine data directory (or one pipeline directory)')
    .option('-p, --pipeline <name>', 'pipeline to replay (default: "default", or the only one)')
    .option('--until <lsn|time>', 'stop after this LSN or time (default: the end of the log)')
    .option('--jobs', 'also list the jobs as they were')
    .option('--queue <name>', 'with --jobs: only this queue')
    .option('--state <state>', 'with --jobs: only jobs in this state')
    .option('--limit <n>', 'with --jobs: at most this many', '50')
    .option('--json', 'print as JSON')
    .action(async (dir: string, opts: ReplayOptions) => runReplay(dir, opts))
  withExamples(cmd, ['wq replay ./data --until 14:05', 'wq replay ./data --until 120000 --jobs --state active', 'wq replay ./data --until "2026-12-01 14:05" --json'])
}

async function runReplay(dir: string, opts: ReplayOptions): Promise<void> {
  const until = opts.until === undefined ? undefined : parsePosition(opts.until, '--until')
  const state = opts.state === undefined ? undefined : parseJobState(opts.state)
  const limit = parsePositiveInt(opts.limit, '--limit')
  const data = await openDataDir(dir)
  const pipeline = selectOnePipeline(data, opts.pipeline)

  if (until?.kind === 'lsn') {
    const { WalReader } = await import('@wq/wal')
    const segments = (await WalReader.open(pipelineDir(data, pipeline))).segments()
    const lastLsn = segments.length > 0 ? segments[segments.length - 1].lastLsn : 0
    if (until.lsn > lastLsn) throw usageError(`--until: LSN ${until.lsn} is past the end of the log (last LSN ${lastLsn})`)
  }

  const view = await replayView(data.root, pipeline, until)
  if (opts.queue !== undefined && !view.queues().some((q) => q.name === opts.queue)) {
    throw usageError(`unknown queue "${opts.queue}" in pipeline ${pipeline} at that point`, `queues: ${view.queues().map((q) => q.name).join(', ') || '(none)'}`)
  }
  const jobs = opts.jobs ? view.jobs({ queue: opts.queue, state, limit }) : undefined

  if (opts.json) {
    printJson({
      pipeline,
      until: until === undefined ? null : until.kind === 'lsn' ? { lsn: until.lsn } : { time: until.time },
      lastLsn: view.lastLsn,
      snapshotLsn: view.snapshotLsn,
      queues: view.queues(),
      schedules: view.schedules(),
      ...(jobs ? { jobs } : {}),
    })
    return
  }
  const asOf = until === undefined ? 'at the end of the log' : `as of ${describePosition(until)}`
  const lines = [
    `${c.bold(`Pipeline ${pipeline}`)} ${asOf}` + c.dim(foldNote(until, view)),
    '',
    renderQueueTable(view.queues()),
  ]
  const schedules = view.schedules()
  if (schedules.length > 0) lines.push('', renderScheduleTable(schedules))
  if (jobs) {
    lines.push('', jobs.length > 0 ? renderJobTable(jobs, '  ') : c.dim('  (no jobs match)'))
  }
  printText(lines.join('\n'))
}

/** Folds the log up to `until`, with a progress bar on a terminal. */
export async function replayView(root: string, pipeline: string, until?: LogPosition): Promise<PipelineView> {
  const { openView } = await import('@wq/engine/inspect')
  const progress = createProgress({ label: `replaying ${pipeline}`, total: 0 })
  try {
    return await openView(root, {
      pipeline,
      untilLsn: until?.kind === 'lsn' ? until.lsn : undefined,
      untilTime: until?.kind === 'time' ? until.time : undefined,
      onProgress: (done, total) => progress.update(done, total),
    })
  } finally {
    progress.stop()
  }
}

/** What the fold covered, where the heading alone does not say it. */
function foldNote(until: LogPosition | undefined, view: PipelineView): string {
  const notes: string[] = []
  if (until?.kind !== 'lsn') notes.push(`last record folded: LSN ${formatInt(view.lastLsn)}`)
  if (view.snapshotLsn !== null) notes.push(`from the snapshot at LSN ${formatInt(view.snapshotLsn)}`)
  return notes.length > 0 ? ` (${notes.join(', ')})` : ''
}
