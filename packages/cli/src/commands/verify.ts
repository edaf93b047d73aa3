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

async function runVerify(dir: string, opts: VerifyOptions): Promise<void> {
  const data = await openDataDir(dir)
  const results: ({ pipeline: string; dir: string } & VerifyReport)[] = []
  for (const name of selectPipelines(data, opts.pipeline)) {
    const walDir = pipelineDir(data, name)
    results.push({ pipeline: name, dir: walDir, ...(await verifyPipeline(walDir, name)) })
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
    for (const p of r.problems) lines.push(`    ${c.yellow(p.kind.padEnd(10))}  ${p.file} at offset ${p.offset}: ${p.reason}`)
  }
  if (!ok) lines.push('', c.dim('To cut a corrupt log back to its last good record (the cut bytes are kept aside):'), c.dim(`  wq repair ${data.given} --truncate-at-corruption`))
  printText(lines.join('\n'))
}
