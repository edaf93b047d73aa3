/**
 * `wq stats <dir> [--watch]`: counts by state, lifetime totals and
 * throughput per queue, read from the log without a lock. Throughput is the
 * change in the engine's own totals: over the last --window seconds for a
 * one-shot run, between refreshes with --watch (which redraws in place on a
 * terminal and prints one block, or one JSON line, per refresh otherwise).
 */
import type { Command } from 'commander'
import type { QueueSummary } from '@wq/engine/inspect'
import { parsePositiveInt, parsePositiveNumber } from '../args.js'
import { openDataDir, selectPipelines, type DataDir } from '../data-dir.js'
import { withExamples } from '../help.js'
import { c } from '../output/colour.js'
import { formatInt, formatRate, formatTime } from '../output/format.js'
import { printText, toJson } from '../output/print.js'
import { renderTable } from '../output/table.js'

interface StatsOptions {
  pipeline?: string
  watch?: boolean
  interval: string
  window: string
  count?: string
  json?: boolean
}

interface Rates {
  added: number
  completed: number
  failed: number
}

interface QueueStats extends QueueSummary {
  /** Per second; null when not measurable (first refresh without history). */
  rates: Rates | null
}

interface PipelineStats {
  pipeline: string
  lastLsn: number
  queues: QueueStats[]
}

interface Sample {
  at: number
  pipelines: { pipeline: string; lastLsn: number; queues: QueueSummary[] }[]
}

export function registerStats(program: Command): void {
  const cmd = program
    .command('stats')
    .description('throughput and counts per queue; --watch refreshes in place')
    .argument('<dir>', 'engine data directory (or one pipeline directory)')
    .option('-p, --pipeline <name>', 'only this pipeline')
    .option('-w, --watch', 'refresh until interrupted (Ctrl-C)')
    .option('--interval <seconds>', 'with --watch: seconds between refreshes', '1')
    .option('--window <seconds>', 'measure throughput over this many past seconds (the first refresh with --watch)', '60')
    .option('--count <n>', 'with --watch: stop after this many refreshes')
    .option('--json', 'print as JSON (one JSON line per refresh with --watch)')
    .action(async (dir: string, opts: StatsOptions) => runStats(dir, opts))
  withExamples(cmd, ['wq stats ./data', 'wq stats ./data --watch --interval 2', 'wq stats ./data --json | jq ".pipelines[].queues[] | {name, rates}"'])
}

async function runStats(dir: string, opts: StatsOptions): Promise<void> {
  const interval = parsePositiveNumber(opts.interval, '--interval')
  const windowSeconds = parsePositiveNumber(opts.window, '--window')
  const count = opts.count === undefined ? Infinity : parsePositiveInt(opts.count, '--count')
  const data = await openDataDir(dir)
  const pipelines = selectPipelines(data, opts.pipeline)

  if (!opts.watch) {
    const now = await sample(data, pipelines)
    const past = await sample(data, pipelines, new Date(now.at - windowSeconds * 1000)).catch(() => null)
    emit(combine(now, past), opts, `over the last ${formatSeconds(windowSeconds)}`)
    return
  }

  const live = process.stdout.isTTY === true && !opts.json
  // The first frame's rates are over the past --window, like a one-shot run; later ones between refreshes.
  let previous: Sample | null = await sample(data, pipelines, new Date(Date.now() - windowSeconds * 1000)).catch(() => null)
  let drawnLines = 0
  let stopped = false
  const stop = (): void => {
    stopped = true
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    for (let i = 0; i < count && !stopped; i++) {
      if (i > 0) await sleep(interval * 1000, () => stopped)
      if (stopped) break
      const current = await sample(data, pipelines)
      const text = render(combine(current, previous), opts, previous ? `over the last ${formatSeconds((current.at - previous.at) / 1000)}` : 'after the next refresh')
      if (live) {
        // Move back over the previous frame and clear it: refresh in place.
        if (drawnLines > 0) process.stdout.write(`\u001b[${drawnLines}A\u001b[J`)
        const frame = `${text}\n${c.dim(`refreshing every ${interval} s · Ctrl-C to stop`)}`
        process.stdout.write(`${frame}\n`)
        drawnLines = frame.split('\n').length
      } else {
        process.stdout.write(`${text}\n${opts.json ? '' : '\n'}`)
      }
      previous = current
    }
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}

function sleep(ms: number, cancelled: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now()
    const tick = (): void => {
      if (cancelled() || Date.now() - started >= ms) resolve()
      else setTimeout(tick, Math.min(100, ms - (Date.now() - started)))
    }
    tick()
  })
}

/** Folds each pipeline's log (up to `until`, else all of it). */
async function sample(data: DataDir, pipelines: string[], until?: Date): Promise<Sample> {
  const { openView } = await import('@wq/engine/inspect')
  const at = until?.getTime() ?? Date.now()
  const out: Sample = { at, pipelines: [] }
  for (const pipeline of pipelines) {
    const view = await openView(data.root, { pipeline, untilTime: until })
    out.pipelines.push({ pipeline, lastLsn: view.lastLsn, queues: view.queues() })
  }
  return out
}

/** Rates are the change in lifetime totals between two samples. */
function combine(current: Sample, previous: Sample | null): { at: Date; pipelines: PipelineStats[] } {
  const seconds = previous ? (current.at - previous.at) / 1000 : 0
  return {
    at: new Date(current.at),
    pipelines: current.pipelines.map((p) => {
      const before = previous?.pipelines.find((b) => b.pipeline === p.pipeline)
      return {
        pipeline: p.pipeline,
        lastLsn: p.lastLsn,
        queues: p.queues.map((q) => {
          if (!previous || seconds <= 0) return { ...q, rates: null }
          const old = before?.queues.find((o) => o.name === q.name)?.totals
          const delta = (key: 'added' | 'completed' | 'failed'): number => Math.max(0, (q.totals[key] - (old?.[key] ?? 0)) / seconds)
          return { ...q, rates: { added: delta('added'), completed: delta('completed'), failed: delta('failed') } }
        }),
      }
    }),
  }
}

function emit(stats: { at: Date; pipelines: PipelineStats[] }, opts: StatsOptions, span: string): void {
  printText(render(stats, opts, span))
}

function render(stats: { at: Date; pipelines: PipelineStats[] }, opts: StatsOptions, span: string): string {
  if (opts.json) return toJson(stats, !opts.watch)
  const rate = (r: Rates | null, key: keyof Rates): string => (r ? formatRate(r[key]) : c.dim('-'))
  return stats.pipelines
    .map((p) =>
      [
        `${c.bold(`Pipeline ${p.pipeline}`)}  ${c.dim(`LSN ${formatInt(p.lastLsn)} · ${formatTime(stats.at)} · rates ${span}`)}`,
        p.queues.length === 0
          ? c.dim('  (no queues)')
          : renderTable(
              [
                { header: 'QUEUE' },
                { header: 'WAITING', align: 'right' },
                { header: 'DELAYED', align: 'right' },
                { header: 'ACTIVE', align: 'right' },
                { header: 'DEAD', align: 'right' },
                { header: 'ADDED/S', align: 'right' },
                { header: 'DONE/S', align: 'right' },
                { header: 'FAILED/S', align: 'right' },
                { header: 'ADDED', align: 'right' },
                { header: 'COMPLETED', align: 'right' },
                { header: 'FAILED', align: 'right' },
                { header: 'RETRIED', align: 'right' },
              ],
              p.queues.map((q) => [
                q.name + (q.paused ? ` ${c.yellow('(paused)')}` : ''),
                formatInt(q.counts.waiting),
                formatInt(q.counts.delayed),
                formatInt(q.counts.active),
                q.counts.dead > 0 ? c.red(formatInt(q.counts.dead)) : '0',
                rate(q.rates, 'added'),
                rate(q.rates, 'completed'),
                rate(q.rates, 'failed'),
                formatInt(q.totals.added),
                formatInt(q.totals.completed),
                formatInt(q.totals.failed),
                formatInt(q.totals.retried),
              ]),
              '  ',
            ),
      ].join('\n'),
    )
    .join('\n\n')
}

function formatSeconds(seconds: number): string {
  return `${seconds >= 10 ? Math.round(seconds) : seconds.toFixed(1)} s`
}
