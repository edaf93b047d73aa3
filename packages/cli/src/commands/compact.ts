/**
 * `wq compact <dir>`: drops segments wholly covered by the newest snapshot
 * (and snapshots beyond those kept). Needs the lock: refuses plainly while a
 * live engine holds it.
 */
import type { Command } from 'commander'
import { basename } from 'node:path'
import { openDataDir, pipelineDir, selectPipelines } from '../data-dir.js'
import { withEngine } from '../engine-session.js'
import { withExamples } from '../help.js'
import { requireUnlocked } from '../lock-check.js'
import { c } from '../output/colour.js'
import { formatBytes } from '../output/format.js'
import { printJson, printText } from '../output/print.js'

interface CompactOptions {
  pipeline?: string
  snapshot?: boolean
  json?: boolean
}

interface Listing {
  segments: Map<string, number>
  snapshots: Map<string, number>
}

export function registerCompact(program: Command): void {
  const cmd = program
    .command('compact')
    .description('drop segments covered by the newest snapshot (needs the lock: refuses while an engine runs)')
    .argument('<dir>', 'engine data directory (or one pipeline directory)')
    .option('-p, --pipeline <name>', 'only report this pipeline')
    .option('--no-snapshot', 'do not take a fresh snapshot first (only what older snapshots cover is dropped)')
    .option('--json', 'print the removed files as JSON')
    .action(async (dir: string, opts: CompactOptions) => runCompact(dir, opts))
  withExamples(cmd, ['wq compact ./data', 'wq compact ./data --no-snapshot --json'])
}

async function listFiles(dir: string): Promise<Listing> {
  const { WalReader } = await import('@wq/wal')
  const reader = await WalReader.open(dir)
  return {
    segments: new Map(reader.segments().map((s) => [basename(s.file), s.bytes])),
    snapshots: new Map((await reader.snapshots()).map((s) => [basename(s.file), s.bytes])),
  }
}

async function runCompact(dir: string, opts: CompactOptions): Promise<void> {
  const data = await openDataDir(dir)
  const pipelines = selectPipelines(data, opts.pipeline)
  await requireUnlocked(data, data.pipelines, 'compact')
  const before = new Map<string, Listing>()
  for (const name of pipelines) before.set(name, await listFiles(pipelineDir(data, name)))
  await withEngine(data.root, 'compacting', async (engine) => {
    for (const name of pipelines) engine.pipeline(name)
    // Compaction drops what the newest snapshot covers: take one first so the whole log but its tail goes.
    if (opts.snapshot !== false) await engine.snapshot()
    await engine.compact()
  })
  const results = []
  for (const name of pipelines) {
    const after = await listFiles(pipelineDir(data, name))
    const was = before.get(name) as Listing
    const removedSegments = [...was.segments.keys()].filter((f) => !after.segments.has(f))
    const removedSnapshots = [...was.snapshots.keys()].filter((f) => !after.snapshots.has(f))
    const freedBytes = removedSegments.reduce((s, f) => s + (was.segments.get(f) ?? 0), 0) + removedSnapshots.reduce((s, f) => s + (was.snapshots.get(f) ?? 0), 0)
    results.push({ pipeline: name, removedSegments, removedSnapshots, freedBytes, segmentsLeft: after.segments.size, snapshotsLeft: after.snapshots.size })
  }
  if (opts.json) {
    printJson({ pipelines: results })
    return
  }
  printText(
    results
      .map((r) =>
        r.removedSegments.length + r.removedSnapshots.length === 0
          ? `${c.dim('-')} ${r.pipeline}: nothing to drop (${r.segmentsLeft} segment${r.segmentsLeft === 1 ? '' : 's'} left)`
          : `${c.green('✓')} ${r.pipeline}: dropped ${r.removedSegments.length} segment${r.removedSegments.length === 1 ? '' : 's'} and ${r.removedSnapshots.length} snapshot${
              r.removedSnapshots.length === 1 ? '' : 's'
            }, freed ${formatBytes(r.freedBytes)}; ${r.segmentsLeft} segment${r.segmentsLeft === 1 ? '' : 's'} left`,
      )
      .join('\n'),
  )
}
