/**
 * `wq dump <dir>`: the pipeline's events as readable lines or JSON lines,
 * streamed record by record (a 10 GB log is never held in memory), filtered
 * by LSN/time range, job, queue and event type.
 */
import type { Command } from 'commander'
import type { WalRecord } from '@wq/wal'
import { describePosition, isAtOrAfter, isAtOrBefore, parsePosition } from '../args.js'
import { openDataDir, pipelineDir, selectOnePipeline } from '../data-dir.js'
import { usageError } from '../errors.js'
import { withExamples } from '../help.js'
import { c } from '../output/colour.js'
import { jsonReplacer } from '../output/format.js'
import { describeSafely } from '../dump/event.js'
import { eventFilter, splitJobId } from '../dump/filter.js'
import { eventLineFormatter } from '../dump/format.js'
import { JobQueues } from '../dump/job-queues.js'
import { LineWriter } from '../output/print.js'
import { createProgress, silentProgress } from '../output/progress.js'

interface DumpOptions {
  pipeline?: string
  from?: string
  to?: string
  job?: string
  queue?: string
  type?: string
  limit?: string
  json?: boolean
}


export function registerDump(program: Command): void {
  const cmd = program
    .command('dump')
    .description('print the events of a pipeline as readable lines or JSON lines (streamed)')
    .argument('<dir>', 'engine data directory (or one pipeline directory)')
    .option('-p, --pipeline <name>', 'pipeline to read (default: "default", or the only one)')
    .option('--from <lsn|time>', 'start at this LSN or time')
    .option('--to <lsn|time>', 'stop after this LSN or time')
    .option('--job <id>', 'only events of this job (billing:42 also picks its pipeline)')
    .option('--queue <name>', 'only events of this queue')
    .option('--type <types>', 'only these event types (comma-separated, e.g. add,fail,complete)')
    .option('--limit <n>', 'stop after printing this many events')
    .option('--json', 'one JSON object per line (JSON lines)')
    .action(async (dir: string, opts: DumpOptions) => runDump(dir, opts))
  withExamples(cmd, [
    'wq dump ./data --from 14:00 --to 14:05',
    'wq dump ./data --job 42 --json',
    'wq dump ./data --pipeline billing --queue invoices --type fail,retry',
    'wq dump ./data --from 1200 --limit 50',
  ])
}

async function runDump(dir: string, opts: DumpOptions): Promise<void> {
  const from = opts.from === undefined ? undefined : parsePosition(opts.from, '--from')
  const to = opts.to === undefined ? undefined : parsePosition(opts.to, '--to')
  const limit = opts.limit === undefined ? Infinity : parseLimit(opts.limit)
  const types = opts.type === undefined ? undefined : new Set(opts.type.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean))
  if (types !== undefined && types.size === 0) throw usageError('--type: expected one or more event types, e.g. add,complete')

  const data = await openDataDir(dir)
  // A job id names its pipeline (`billing:42`); the events carry the bare number.
  const jobRef = opts.job === undefined ? undefined : splitJobId(opts.job)
  const pipeline = selectOnePipeline(data, opts.pipeline ?? (jobRef?.pipeline !== undefined && data.pipelines.includes(jobRef.pipeline) ? jobRef.pipeline : undefined))
  const { WalReader } = await import('@wq/wal')
  const { describeEvent, EventNames } = await import('@wq/engine/inspect')
  const reader = await WalReader.open(pipelineDir(data, pipeline))
  // Names interned before the oldest segment (compacted away) live in the snapshot; one table per pipeline.
  const names = await namesFromSnapshot(reader, EventNames)
  const describe = (record: WalRecord) => describeEvent(record, names)
  const segments = reader.segments().filter((s) => s.lastLsn >= s.firstLsn)
  const firstLsn = segments.length > 0 ? segments[0].firstLsn : 1
  const lastLsn = segments.length > 0 ? segments[segments.length - 1].lastLsn : 0
  if (from?.kind === 'lsn' && from.lsn > lastLsn + 1) {
    throw usageError(`--from: LSN ${from.lsn} is past the end of the log (last LSN ${lastLsn})`)
  }
  if (from && to && from.kind === to.kind && (from.kind === 'lsn' ? from.lsn > (to as { lsn: number }).lsn : from.time > (to as { time: Date }).time)) {
    throw usageError(`--from ${describePosition(from)} is after --to ${describePosition(to)}`)
  }
  if (from?.kind === 'lsn' && from.lsn < firstLsn && firstLsn > 1) {
    process.stderr.write(c.dim(`wq: records before LSN ${firstLsn} were compacted into a snapshot; starting at ${firstLsn}\n`))
  }

  const out = new LineWriter()
  // The bar goes to stderr: only when stdout is redirected, or it would tangle with the lines.
  const progress = process.stdout.isTTY ? silentProgress : createProgress({ label: 'dump', total: lastLsn - firstLsn + 1 })
  const matches = eventFilter({ queue: opts.queue, job: jobRef?.id, types })
  const format = eventLineFormatter(lastLsn)
  const jobQueues = new JobQueues()
  const startLsn = from?.kind === 'lsn' ? Math.max(from.lsn, firstLsn) : firstLsn
  let printed = 0
  try {
    if (startLsn > firstLsn) {
      await learnBefore(reader, { firstLsn, startLsn }, opts.queue !== undefined, (record) => jobQueues.track(describeSafely(record, describe)))
    }
    for await (const record of reader.records(startLsn)) {
      if (to?.kind === 'lsn' && record.lsn > to.lsn) break
      progress.update(record.lsn - firstLsn + 1)
      const event = describeSafely(record, describe)
      jobQueues.track(event)
      if (from && !isAtOrAfter(from, record.lsn, event.time)) continue
      if (to && !isAtOrBefore(to, record.lsn, event.time)) continue
      if (!matches(event)) continue
      await out.write(opts.json ? JSON.stringify(event, jsonReplacer) : format(event))
      if (++printed >= limit) break
    }
  } catch (err) {
    // Print what came before the failure (e.g. corruption mid-log), then report it.
    progress.stop()
    await out.flush().catch(() => {})
    throw err
  } finally {
    progress.stop()
  }
  await out.flush()
}

function parseLimit(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n <= 0) throw usageError(`--limit: expected a positive whole number, got "${value}"`)
  return n
}

/** The snapshot's name table, or an empty one (then names are learned from intern records) if it cannot be read. */
async function namesFromSnapshot<N>(
  reader: { latestSnapshot(): Promise<{ data: Buffer } | null> },
  EventNames: { new (): N; fromSnapshot(data: Uint8Array): N },
): Promise<N> {
  try {
    const snapshot = await reader.latestSnapshot()
    if (snapshot) return EventNames.fromSnapshot(snapshot.data)
  } catch {
    // A damaged snapshot is verify's business; dump still shows the records.
  }
  return new EventNames()
}

/** The engine's record type for name interning (queue, group and tag names are logged once, then referred to by number). */
const INTERN_RECORD_TYPE = 1

/**
 * Starting mid-log: describeEvent learns interned names only from records it
 * is shown, and the job→queue map only from adds. Show it the records before
 * the start — all of them when filtering by queue, else only the intern ones
 * (the rest are skipped by type, undecoded).
 */
async function learnBefore(
  reader: { records(from?: number): AsyncIterable<WalRecord> },
  range: { firstLsn: number; startLsn: number },
  everything: boolean,
  learn: (record: WalRecord) => void,
): Promise<void> {
  for await (const record of reader.records(range.firstLsn)) {
    if (record.lsn >= range.startLsn) break
    if (everything || record.type === INTERN_RECORD_TYPE) learn(record)
  }
}
