/**
 * `wq verify <dir>`: checks every record's checksum and every snapshot of
 * each pipeline. Exit 0 when clean, 1 with the file and offset of each problem.
 */
import type { Command } from 'commander'
import type { VerifyReport } from '@wq/wal'
import { openDataDir, pipelineDir, selectPipelines } from '../data-dir.js'
import { ExitCode } from '../errors.js'
import { withExamples } from '../help.js'
import { c } from '../output/colour.js'
import { formatInt } from '../output/format.js'
import { printJson, printText } from '../output/print.js'
import { createProgress } from '../output/progress.js'

interface VerifyOptions {
  pipeline?: string
  json?: boolean
}

export function registerVerify(program: Command): void {
  const cmd = program
    .command('verify')
    .description("check every record's checksum and every snapshot; exit 0 when clean, 1 listing each problem's file and offset")
    .argument('<dir>', 'engine data directory (or one pipeline directory)')
    .option('-p, --pipeline <name>', 'only this pipeline')
    .option('--json', 'print the report as JSON')
    .action(async (dir: string, opts: VerifyOptions) => runVerify(dir, opts))
  withExamples(cmd, ['wq verify ./data', 'wq verify ./data --json || echo "corrupt"'])
}

/** Verifies one pipeline's WAL directory (read-only, no lock), with a progress bar on a terminal. */
export async function verifyPipeline(dir: string, label: string): Promise<VerifyReport> {
  const { WalReader, WalCorruptionError } = await import('@wq/wal')
  let reader
  try {
    reader = await WalReader.open(dir)
  } catch (err) {
    // The reader refuses a log whose segment headers are broken or not contiguous: that is a finding, not a failure.
    if (!(err instanceof WalCorruptionError)) throw err
    return { ok: false, segments: 0, records: 0, snapshots: 0, problems: [{ file: err.file, offset: err.offset, reason: err.reason, kind: 'header' }] }
  }
  const progress = createProgress({ label: `verifying ${label}`, total: 0, unit: 'bytes' })
  try {
    return await reader.verify((done, total) => progress.update(done, total))
  } finally {
    progress.stop()
  }
}

/**
 * Folds a pipeline whose log and snapshots are sound, as an engine opening it would: a record whose checksum is
 * good but that the engine cannot apply would stop that open, so it is a problem too (kind `event`). Only for an
 * engine's log (every engine process logs an `open` record): a bare WAL holds whatever its writer chose.
 */
async function foldProblem(root: string, name: string, dir: string): Promise<VerifyReport['problems'][number] | null> {
  const { openView, EVENT_NAMES } = await import('@wq/engine/inspect')
  try {
    await openView(root, { pipeline: name })
    return null
  } catch (err) {
    const e = err as { code?: string; lsn?: number; message: string }
    if (e.code !== 'EVENT_UNREADABLE') return null
    const { WalReader } = await import('@wq/wal')
    const reader = await WalReader.open(dir)
    let engineLog = false
    for await (const r of reader.records()) if (EVENT_NAMES[r.type] === 'open') { engineLog = true; break }
    if (!engineLog) return null
    const segment = reader.segments().find((s) => s.firstLsn <= e.lsn! && e.lsn! <= s.lastLsn)
    return { file: segment?.file ?? dir, offset: 0, reason: e.message, kind: 'event' as never, lsn: e.lsn } as VerifyReport['problems'][number]
  }
}

async function runVerify(dir: string, opts: VerifyOptions): Promise<void> {
  const data = await openDataDir(dir)
  const results: ({ pipeline: string; dir: string } & VerifyReport)[] = []
  for (const name of selectPipelines(data, opts.pipeline)) {
    const walDir = pipelineDir(data, name)
    const report = await verifyPipeline(walDir, name)
    if (report.ok) {
      const problem = await foldProblem(data.root, name, walDir)
      if (problem !== null) {
        report.ok = false
        report.problems.push(problem)
      }
    }
    results.push({ pipeline: name, dir: walDir, ...report })
  }
  const ok = results.every((r) => r.ok)
  if (!ok) process.exitCode = ExitCode.problems
  if (opts.json) {
    printJson({ ok, pipelines: results })
    return
  }
  const lines: string[] = []
  for (const r of results) {
    const summary = `${formatInt(r.segments)} segments, ${formatInt(r.records)} records, ${formatInt(r.snapshots)} snapshots`
    if (r.ok) {
      lines.push(`${c.green('✓')} ${c.bold(r.pipeline)}  ${summary}: clean`)
      // A torn tail is not damage: the last write was cut short by a crash and the next writer drops it.
      for (const p of r.problems) {
        lines.push(c.dim(`    ${p.kind.padEnd(10)}  ${p.file} at offset ${p.offset}: ${p.reason} (an interrupted last write; the next open drops it)`))
      }
      continue
    }
    lines.push(`${c.red('✗')} ${c.bold(r.pipeline)}  ${summary}: ${c.red(`${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`)}`)
    for (const p of r.problems) {
      const lsn = (p as { lsn?: number }).lsn
      lines.push(`    ${c.yellow(p.kind.padEnd(10))}  ${p.file} ${lsn === undefined ? `at offset ${p.offset}` : `at LSN ${lsn}`}: ${p.reason}`)
    }
  }
  const problems = results.flatMap((r) => r.problems.filter(() => !r.ok))
  if (problems.some((p) => p.kind !== ('event' as never))) {
    lines.push('', c.dim('To cut a corrupt log back to its last good record (the cut bytes are kept aside):'), c.dim(`  wq repair ${data.given} --truncate-at-corruption`))
  } else if (problems.length > 0) {
    // A record with a good checksum that the engine cannot apply: the WAL's repair does not see it.
    const lsn = (problems[0] as { lsn?: number }).lsn
    lines.push('', c.dim('A record the engine cannot apply has a good checksum: `wq dump <dir> --from <LSN>` shows it. To cut the log before it (the rest is kept aside):'), c.dim(`  wq repair ${data.given} --cut-at-lsn ${lsn}`))
  }
  printText(lines.join('\n'))
}
