/**
 * `wq schedules <dir> list|remove`: the cron schedules of a data directory. list reads the log without a lock
 * (it works while an engine runs); remove opens the engine and so needs the lock. Names are per queue, so a
 * schedule is named by its queue and its name.
 */
import type { Command } from 'commander'
import type { ScheduleSummary } from '@wq/engine/inspect'
import { openDataDir, selectOnePipeline, selectPipelines } from '../data-dir.js'
import { usageError } from '../errors.js'
import { withEngine } from '../engine-session.js'
import { withExamples } from '../help.js'
import { requireUnlocked } from '../lock-check.js'
import { c } from '../output/colour.js'
import { printJson, printText } from '../output/print.js'
import { renderScheduleTable } from '../output/queues.js'
import { requireQueue } from './jobs/find.js'
import { replayView } from './replay.js'

interface SchedulesOptions {
  pipeline?: string
  queue?: string
  json?: boolean
}

const ACTIONS = ['list', 'remove'] as const

export function registerSchedules(program: Command): void {
  const cmd = program
    .command('schedules')
    .description('list or remove cron schedules (list works while an engine runs; remove needs the lock)')
    .argument('<dir>', 'engine data directory (or one pipeline directory)')
    .argument('<action>', 'list | remove QUEUE NAME')
    .argument('[queue]', 'remove: the queue the schedule belongs to')
    .argument('[name]', 'remove: the schedule name')
    .option('-p, --pipeline <name>', 'list: only this pipeline; remove: the pipeline (default: "default", or the only one)')
    .option('--queue <name>', 'list: only this queue')
    .option('--json', 'print as JSON')
    .action(async (dir: string, action: string, queue: string | undefined, name: string | undefined, opts: SchedulesOptions) => {
      switch (action) {
        case 'list':
          if (queue !== undefined) throw usageError('schedules list takes no queue or name (use --queue to filter)')
          return listSchedules(dir, opts)
        case 'remove':
          if (queue === undefined || name === undefined) throw usageError('schedules remove: give the queue and the schedule name', 'e.g. wq schedules ./data remove mail daily')
          return removeSchedule(dir, queue, name, opts)
        default:
          throw usageError(`schedules: unknown action "${action}"`, `one of: ${ACTIONS.join(', ')}`)
      }
    })
  withExamples(cmd, [
    'wq schedules ./data list',
    'wq schedules ./data list --queue mail --json',
    'wq schedules ./data remove mail daily',
  ])
}

async function listSchedules(dir: string, opts: SchedulesOptions): Promise<void> {
  const data = await openDataDir(dir)
  const rows: (ScheduleSummary & { pipeline: string })[] = []
  for (const pipeline of selectPipelines(data, opts.pipeline)) {
    const view = await replayView(data.root, pipeline)
    if (opts.pipeline !== undefined) requireQueue(view, pipeline, opts.queue)
    for (const s of view.schedules()) if (opts.queue === undefined || s.queue === opts.queue) rows.push({ pipeline, ...s })
  }
  if (opts.json) {
    printJson({ schedules: rows })
    return
  }
  if (rows.length === 0) {
    printText(c.dim('no schedules'))
    return
  }
  const lines: string[] = []
  for (const pipeline of new Set(rows.map((r) => r.pipeline))) {
    if (lines.length > 0) lines.push('')
    lines.push(c.bold(`Pipeline ${pipeline}`), renderScheduleTable(rows.filter((r) => r.pipeline === pipeline)))
  }
  printText(lines.join('\n'))
}

async function removeSchedule(dir: string, queue: string, name: string, opts: SchedulesOptions): Promise<void> {
  const data = await openDataDir(dir)
  const pipeline = selectOnePipeline(data, opts.pipeline)
  // Looked up read-only first: an unknown queue or name is a usage error, and nothing is written for it.
  const view = await replayView(data.root, pipeline)
  requireQueue(view, pipeline, queue)
  const schedule = view.schedules().find((s) => s.queue === queue && s.name === name)
  if (schedule === undefined) {
    const names = view.schedules().filter((s) => s.queue === queue).map((s) => s.name)
    throw usageError(`unknown schedule "${name}" in queue ${queue} (pipeline ${pipeline})`, `its schedules: ${names.join(', ') || '(none)'}`)
  }
  // The engine opens every pipeline of the directory, so each must be free.
  await requireUnlocked(data, data.pipelines, 'schedules remove')
  const removed = await withEngine(data.root, `removing schedule ${queue}/${name}`, (engine) => engine.pipeline(pipeline).queue(queue).unschedule(name))
  // Gone between the look-up and the lock: someone else removed it.
  if (!removed) throw usageError(`schedule "${name}" in queue ${queue} is already gone`)
  if (opts.json) printJson({ pipeline, removed: { queue, name, pattern: schedule.pattern } })
  else printText(`${c.green('✓')} removed schedule ${queue}/${name} (${schedule.pattern})`)
}
