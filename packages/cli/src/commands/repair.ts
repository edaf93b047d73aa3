/**
 * `wq repair <dir> --truncate-at-corruption`: the explicit, confirmed way to
 * cut a corrupt log back to its last good record. The WAL moves the cut bytes
 * to side files (`*.corrupt*`), so nothing is destroyed.
 */
import type { Command } from 'commander'
import type { RecoveryReport, VerifyProblem } from '@wq/wal'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { confirm } from '../confirm.js'
import { parsePositiveInt } from '../args.js'
import { openDataDir, pipelineDir, selectOnePipeline, selectPipelines } from '../data-dir.js'
import { CliError, ExitCode, usageError } from '../errors.js'
import { withExamples } from '../help.js'
import { c } from '../output/colour.js'
import { formatBytes, formatInt } from '../output/format.js'
import { printJson, printText } from '../output/print.js'
import { verifyPipeline } from './verify.js'

interface RepairOptions {
  truncateAtCorruption?: boolean
  cutAtLsn?: string
  pipeline?: string
  yes?: boolean
  dryRun?: boolean
  json?: boolean
}

interface RepairResult {
  pipeline: string
  dir: string
  /** What verify found before the repair. */
  problems: VerifyProblem[]
  action: 'none' | 'dry-run' | 'declined' | 'repaired'
  lastLsnBefore: number
  lastLsnAfter?: number
  cutAtCorruption?: RecoveryReport['cutAtCorruption']
  truncatedTail?: RecoveryReport['truncatedTail']
  /** Problems verify still finds afterwards (should be none). */
  remaining?: VerifyProblem[]
}

export function registerRepair(program: Command): void {
  const cmd = program
    .command('repair')
    .description('cut a corrupt log back to its last good record, after moving the cut part to side files (asks first)')
    .argument('<dir>', 'engine data directory (or one pipeline directory)')
    .option('--truncate-at-corruption', 'cut each damaged log at its first bad record')
    .option('--cut-at-lsn <lsn>', 'cut one pipeline\'s log before this record: one whose checksum is good but the engine cannot apply (wq verify names it)')
    .option('-p, --pipeline <name>', 'only this pipeline')
    .option('-y, --yes', 'do not ask (for scripts)')
    .option('--dry-run', 'say what would be cut and change nothing')
    .option('--json', 'print the outcome as JSON')
    .action(async (dir: string, opts: RepairOptions) => runRepair(dir, opts))
  withExamples(cmd, [
    'wq repair ./data --truncate-at-corruption',
    'wq repair ./data --truncate-at-corruption --dry-run',
    'wq repair ./data --pipeline billing --truncate-at-corruption --yes',
    'wq repair ./data --cut-at-lsn 1234',
  ])
}

async function runRepair(dir: string, opts: RepairOptions): Promise<void> {
  if (opts.cutAtLsn !== undefined) {
    if (opts.truncateAtCorruption) throw usageError('repair: give --truncate-at-corruption or --cut-at-lsn, not both')
    return runCutAtLsn(dir, parsePositiveInt(opts.cutAtLsn, '--cut-at-lsn'), opts)
  }
  if (!opts.truncateAtCorruption) {
    throw usageError(
      'repair needs --truncate-at-corruption (or --cut-at-lsn N)',
      'cut the log back to its last good record (the cut bytes are kept in side files); run `wq verify` first to see what would be cut',
    )
  }
  const data = await openDataDir(dir)
  const { WalReader } = await import('@wq/wal')
  const results: RepairResult[] = []
  for (const name of selectPipelines(data, opts.pipeline)) {
    const walDir = pipelineDir(data, name)
    const report = await verifyPipeline(walDir, name)
    // A reader refuses a log with a broken header; the plan then just has no byte counts.
    const segments = await WalReader.open(walDir).then((r) => r.segments(), () => [])
    const lastLsnBefore = segments.length > 0 ? segments[segments.length - 1].lastLsn : 0
    const result: RepairResult = { pipeline: name, dir: walDir, problems: report.problems, action: 'none', lastLsnBefore }
    results.push(result)
    // Clean, or only a torn tail, which any writer's open drops by itself: nothing to confirm.
    if (report.problems.length === 0) continue
    await refuseIfLocked(walDir)
    const plan = describePlan(name, report.problems, segments, await fileSize(report.problems.find((p) => p.kind !== 'snapshot')?.file))
    if (!opts.json) printText(plan)
    if (opts.dryRun) {
      result.action = 'dry-run'
      continue
    }
    if (!(await confirm(`Cut pipeline ${name} as above?`, { yes: opts.yes === true }))) {
      result.action = 'declined'
      continue
    }
    await cutLog(walDir, result)
    result.remaining = (await verifyPipeline(walDir, name)).problems
  }

  if (results.some((r) => r.action === 'declined')) process.exitCode = ExitCode.problems
  if (results.some((r) => (r.remaining?.length ?? 0) > 0)) process.exitCode = ExitCode.problems
  if (opts.json) printJson({ pipelines: results })
  else printText(results.map(renderOutcome).join('\n'))
}

/**
 * `--cut-at-lsn N`: one pipeline's log cut before record N, which is sound to the WAL (its checksum is good) but
 * not to the engine (`wq verify` lists it as an `event` problem). Same plan, confirmation and side files as a cut
 * at corruption.
 */
async function runCutAtLsn(dir: string, lsn: number, opts: RepairOptions): Promise<void> {
  const data = await openDataDir(dir)
  const name = selectOnePipeline(data, opts.pipeline)
  const walDir = pipelineDir(data, name)
  const { WalReader } = await import('@wq/wal')
  const segments = (await WalReader.open(walDir)).segments()
  const first = segments.length > 0 ? segments[0].firstLsn : 1
  const lastLsnBefore = segments.length > 0 ? segments[segments.length - 1].lastLsn : 0
  if (lsn < first || lsn > lastLsnBefore) {
    throw usageError(`--cut-at-lsn: LSN ${lsn} is not in pipeline ${name}'s log (LSN ${first} … ${lastLsnBefore})`)
  }
  const result: RepairResult = { pipeline: name, dir: walDir, problems: [], action: 'none', lastLsnBefore }
  await refuseIfLocked(walDir)
  const index = segments.findIndex((s) => s.firstLsn <= lsn && lsn <= s.lastLsn)
  const later = segments.slice(index + 1)
  const plan = [
    c.bold(`Pipeline ${name}: cut before LSN ${formatInt(lsn)}`),
    `  Will cut ${basename(segments[index].file)} before that record, and move records ${formatInt(lsn)} … ${formatInt(lastLsnBefore)}` +
      ` (${formatInt(lastLsnBefore - lsn + 1)}${later.length > 0 ? `, with ${later.length} later segment${later.length === 1 ? '' : 's'}` : ''}) to side files, not deleted.`,
    '  Snapshots newer than the cut are set aside too: the state is rebuilt from what remains.',
  ].join('\n')
  if (!opts.json) printText(plan)
  if (opts.dryRun) result.action = 'dry-run'
  else if (!(await confirm(`Cut pipeline ${name} as above?`, { yes: opts.yes === true }))) {
    result.action = 'declined'
    process.exitCode = ExitCode.problems
  } else {
    await cutLog(walDir, result, lsn)
    result.remaining = (await verifyPipeline(walDir, name)).problems
  }
  if (opts.json) printJson({ pipelines: [result] })
  else printText(renderOutcome(result))
}

/** Opens the log for writing with truncateAtCorruption (or a cut before `cutAtLsn`); the WAL does the cut and the moving aside. */
async function cutLog(walDir: string, result: RepairResult, cutAtLsn?: number): Promise<void> {
  const { Wal } = await import('@wq/wal')
  const wal = await Wal.open({ dir: walDir, durability: 'sync', truncateAtCorruption: true, truncateAtLsn: cutAtLsn })
  try {
    result.cutAtCorruption = wal.recovery.cutAtCorruption
    result.truncatedTail = wal.recovery.truncatedTail
    // A corrupt newest snapshot is set aside by the writer's own check.
    if (result.problems.some((p) => p.kind === 'snapshot')) await wal.latestSnapshot()
    result.lastLsnAfter = wal.lastLsn
  } finally {
    await wal.close()
  }
  result.action = 'repaired'
}

/** A repair needs the log to itself: exit 3, naming the holder, while an engine runs on it. */
async function refuseIfLocked(walDir: string): Promise<void> {
  const { readLockHolder } = await import('@wq/wal')
  const lock = await readLockHolder(walDir)
  if (lock.locked) {
    throw new CliError(`${walDir} is locked by a running engine${lock.pid !== null ? ` (PID ${lock.pid})` : ''}`, ExitCode.locked, {
      hint: 'stop that process first; repair needs the log to itself',
    })
  }
}

/** Size on disk (the reader's segment sizes stop at the last whole record). */
async function fileSize(file: string | undefined): Promise<number | undefined> {
  if (file === undefined) return undefined
  return stat(file).then((s) => s.size, () => undefined)
}

function describePlan(
  pipeline: string,
  problems: VerifyProblem[],
  segments: { file: string; firstLsn: number; lastLsn: number; bytes: number }[],
  damagedFileBytes: number | undefined,
): string {
  const logProblems = problems.filter((p) => p.kind !== 'snapshot')
  const lines = [c.bold(`Pipeline ${pipeline}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`)]
  for (const p of problems) lines.push(`  ${c.yellow(p.kind.padEnd(10))}  ${p.file} at offset ${p.offset}: ${p.reason}`)
  const first = logProblems[0]
  if (first) {
    const index = segments.findIndex((s) => s.file === first.file || basename(s.file) === basename(first.file))
    const inFile = Math.max(0, (damagedFileBytes ?? (index >= 0 ? segments[index].bytes : first.offset)) - first.offset)
    const later = index >= 0 ? segments.slice(index + 1) : []
    const laterBytes = later.reduce((sum, s) => sum + s.bytes, 0)
    lines.push(
      `  Will cut the log at ${basename(first.file)} offset ${first.offset}: ${formatBytes(inFile)} of that file` +
        (later.length > 0 ? ` and ${later.length} later segment${later.length === 1 ? '' : 's'} (${formatBytes(laterBytes)})` : '') +
        ', moved aside to side files, not deleted.',
    )
    lines.push('  Snapshots newer than the cut are set aside too: the state is rebuilt from what remains.')
  }
  if (problems.some((p) => p.kind === 'snapshot')) lines.push('  A corrupt newest snapshot will be renamed aside; the previous one (or a full replay) is used instead.')
  return lines.join('\n')
}

function renderOutcome(r: RepairResult): string {
  switch (r.action) {
    case 'none':
      return `${c.green('✓')} ${r.pipeline}: clean, nothing to repair`
    case 'dry-run':
      return `${c.dim('-')} ${r.pipeline}: dry run, nothing changed`
    case 'declined':
      return `${c.yellow('!')} ${r.pipeline}: not confirmed, nothing changed`
    case 'repaired': {
      const lost = r.lastLsnAfter !== undefined ? r.lastLsnBefore - r.lastLsnAfter : 0
      const lines = [
        `${r.remaining && r.remaining.length > 0 ? c.red('✗') : c.green('✓')} ${r.pipeline}: repaired; log now ends at LSN ${formatInt(r.lastLsnAfter ?? 0)}` +
          (lost > 0 ? ` (${formatInt(lost)} record${lost === 1 ? '' : 's'} cut off)` : ''),
      ]
      const moved = [...(r.cutAtCorruption?.movedAside ?? []), ...(r.truncatedTail ? [r.truncatedTail.savedAs] : [])]
      for (const file of moved) lines.push(`    kept aside: ${file}`)
      for (const p of r.remaining ?? []) lines.push(`    ${c.red('still')} ${p.kind} ${p.file} at offset ${p.offset}: ${p.reason}`)
      return lines.join('\n')
    }
  }
}
