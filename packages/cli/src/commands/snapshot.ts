/**
 * `wq snapshot <dir>`: takes a snapshot of every pipeline now ("snapshot
 * before deploy"), through the engine so it is exactly what start-up loads.
 * Needs the lock: refuses plainly while a live engine holds it.
 */
import type { Command } from 'commander'
import type { SnapshotInfo } from '@wq/wal'
import { openDataDir, pipelineDir, selectPipelines } from '../data-dir.js'
import { withEngine } from '../engine-session.js'
import { withExamples } from '../help.js'
import { requireUnlocked } from '../lock-check.js'
import { c } from '../output/colour.js'
import { formatBytes, formatInt } from '../output/format.js'
import { printJson, printText } from '../output/print.js'

interface SnapshotOptions {
  pipeline?: string
  json?: boolean
}

export function registerSnapshot(program: Command): void {
  const cmd = program
    .command('snapshot')
    .description('take a snapshot of the state now (needs the lock: refuses while an engine runs)')
    .argument('<dir>', 'engine data directory (or one pipeline directory)')
    .option('-p, --pipeline <name>', 'only report this pipeline')
    .option('--json', 'print the new snapshots as JSON')
    .action(async (dir: string, opts: SnapshotOptions) => runSnapshot(dir, opts))
  withExamples(cmd, ['wq snapshot ./data', 'wq snapshot ./data && wq compact ./data'])
}

async function runSnapshot(dir: string, opts: SnapshotOptions): Promise<void> {
  const data = await openDataDir(dir)
  const pipelines = selectPipelines(data, opts.pipeline)
  await requireUnlocked(data, data.pipelines, 'snapshot')
  await withEngine(data.root, 'taking snapshots', async (engine) => {
    for (const name of pipelines) engine.pipeline(name)
    await engine.snapshot()
  })
  const { WalReader } = await import('@wq/wal')
  const taken: { pipeline: string; snapshot: SnapshotInfo | null }[] = []
  for (const name of pipelines) {
    const snapshots = await (await WalReader.open(pipelineDir(data, name))).snapshots()
    taken.push({ pipeline: name, snapshot: snapshots.length > 0 ? snapshots[snapshots.length - 1] : null })
  }
  if (opts.json) {
    printJson({ pipelines: taken })
    return
  }
  printText(
    taken
      .map(({ pipeline, snapshot }) =>
        snapshot
          ? `${c.green('✓')} ${pipeline}: snapshot at LSN ${formatInt(snapshot.lsn)} (${formatBytes(snapshot.bytes)}) ${c.dim(snapshot.file)}`
          : `${c.yellow('!')} ${pipeline}: no snapshot written (empty log)`,
      )
      .join('\n'),
  )
}
