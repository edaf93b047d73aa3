/**
 * `wq dump <dir>`: the pipeline's events as readable lines or JSON lines,
 * streamed record by record (a 10 GB log is never held in memory), filtered
 * by LSN/time range, job, queue and event type.
 */
import type { Command } from 'commander'
import type { WalRecord } from '@wq/wal'
import type { DescribedEvent } from '@wq/engine/inspect'
import { describePosition, isAtOrAfter, isAtOrBefore, parsePosition, type LogPosition } from '../args.js'
import { openDataDir, pipelineDir, selectOnePipeline } from '../data-dir.js'
import { usageError } from '../errors.js'
import { withExamples } from '../help.js'
import { c } from '../output/colour.js'
import { formatTime, formatValue, jsonReplacer } from '../output/format.js'
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

/** What one dumped line says: the described event, or the raw record when it cannot be decoded. */
type DumpEvent = DescribedEvent | { lsn: number; type: string; time?: undefined; bytes: number; undecodable: string }

export function registerDump(program: Command): void {
  const cmd = program
    .command('dump')
    .description('print the events of a pipeline as readable lines or JSON lines (streamed)')
    .argument('<dir>', 'engine data directory (or one pipeline directory)')
    .option('-p, --pipeline <name>', 'pipeline to read (default: "default", or the only one)')
    .option('--from <lsn|time>', 'start at this LSN or time')
    .option('--to <lsn|time>', 'stop after this LSN or time')
    .option('--job <id>', 'only events of this job')
    .option('--queue <name>', 'only events of this queue')
    .option('--type <types>', 'only these event types (comma-separated, e.g. add,fail,complete)')
    .option('--limit <n>', 'stop after printing this many events')
    .option('--json', 'one JSON object per line (JSON lines)')
    .action(async (dir: string, opts: DumpOptions) => runDump(dir, opts))
  withExamples(cmd, [
    'wq dump ./data --from 14:00 --to 14:05',
    'wq dump ./data --job 01JD3K9Q2 --json',
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
  const { describeEvent } = await import('@wq/engine/inspect')
  const reader = await WalReader.open(pipelineDir(data, pipeline))
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
  const matches = eventFilter({ queue: opts.queue, job: jobRef?.id }, types)
  const startLsn = from?.kind === 'lsn' ? Math.max(from.lsn, firstLsn) : firstLsn
  let printed = 0
  try {
    if (startLsn > firstLsn) await learnNames(reader, firstLsn, startLsn, describeEvent)
    for await (const record of reader.records(startLsn)) {
      if (to?.kind === 'lsn' && record.lsn > to.lsn) break
      progress.update(record.lsn - firstLsn + 1)
      const event = describe(record, describeEvent)
      if (from && !isAtOrAfter(from, record.lsn, event.time)) continue
      if (to && !isAtOrBefore(to, record.lsn, event.time)) continue
      if (!matches(event)) continue
      await out.write(opts.json ? JSON.stringify(event, jsonReplacer) : formatEvent(event))
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

function describe(record: WalRecord, describeEvent: (r: WalRecord) => DescribedEvent): DumpEvent {
  try {
    return describeEvent(record)
  } catch (err) {
    // A record the engine cannot decode is still shown, so dump never hides part of the log.
    return { lsn: record.lsn, type: `raw:${record.type}`, bytes: record.payload.byteLength, undecodable: err instanceof Error ? err.message : String(err) }
  }
}

/** The engine's record type for name interning (queue, group and tag names are logged once, then referred to by number). */
const INTERN_RECORD_TYPE = 1

/**
 * describeEvent learns interned names from the records it is shown; when the
 * dump starts mid-log, show it the intern records before the start (decoding
 * only those: the rest are skipped by type) so queues print by name.
 */
async function learnNames(
  reader: { records(from?: number): AsyncIterable<WalRecord> },
  firstLsn: number,
  startLsn: number,
  describeEvent: (r: WalRecord) => DescribedEvent,
): Promise<void> {
  for await (const record of reader.records(firstLsn)) {
    if (record.lsn >= startLsn) break
    if (record.type === INTERN_RECORD_TYPE) describe(record, describeEvent)
  }
}

function splitJobId(id: string): { pipeline?: string; id: string } {
  const colon = id.lastIndexOf(':')
  return colon > 0 ? { pipeline: id.slice(0, colon), id: id.slice(colon + 1) } : { id }
}

function eventFilter(opts: { queue?: string; job?: string }, types: Set<string> | undefined): (event: DumpEvent) => boolean {
  const { job, queue } = opts
  return (event) => {
    if (types && !types.has(event.type.toLowerCase())) return false
    const fields = event as Record<string, unknown>
    if (queue !== undefined && fields.queue !== queue && fields.toQueue !== queue) return false
    if (job !== undefined && !mentionsJob(fields, job)) return false
    return true
  }
}

/** A job is mentioned as the event's job, or inside it: one of a bulk add's jobs, a stage's next job. */
function mentionsJob(fields: Record<string, unknown>, id: string, depth = 0): boolean {
  if (fields.jobId === id) return true
  if (depth > 1) return false
  for (const value of Object.values(fields)) {
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'object' && item !== null && mentionsJob(item as Record<string, unknown>, id, depth + 1)) return true
    } else if (typeof value === 'object' && value !== null && !(value instanceof Date) && mentionsJob(value as Record<string, unknown>, id, depth + 1)) return true
  }
  return false
}

const TYPE_COLOURS: Record<string, (s: string) => string> = {
  add: c.green,
  'add-bulk': c.green,
  complete: c.blue,
  'run-complete': c.blue,
  'complete-next': c.blue,
  fail: c.yellow,
  dead: c.red,
  remove: c.red,
  'remove-dead': c.red,
}

const SHOWN_APART = new Set(['lsn', 'type', 'time', 'jobId', 'queue'])

/** `#LSN  time  type  queue  job  key=value …` */
function formatEvent(event: DumpEvent): string {
  const fields = event as Record<string, unknown>
  const type = event.type.padEnd(10)
  const colour = TYPE_COLOURS[event.type] ?? ((s: string) => s)
  const rest = Object.entries(fields)
    .filter(([key, value]) => !SHOWN_APART.has(key) && value !== undefined)
    .map(([key, value]) => `${c.dim(`${key}=`)}${formatValue(value instanceof Date ? value.toISOString() : value, 80)}`)
    .join(' ')
  const parts = [
    c.dim(`#${event.lsn}`),
    event.time instanceof Date ? formatTime(event.time) : c.dim('-'.padEnd(23)),
    colour(type),
    typeof fields.queue === 'string' ? fields.queue : '',
    typeof fields.jobId === 'string' ? c.cyan(fields.jobId) : '',
    rest,
  ]
  return parts.filter((p) => p !== '').join('  ')
}
