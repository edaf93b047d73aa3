/**
 * `wq doctor [dir]`: a pg_test_fsync for queues. Measures fdatasync latency
 * and rate and sequential write speed of the disk holding `dir`, then says
 * which durability mode fits which throughput there.
 */
import type { Command } from 'commander'
import { parsePositiveInt, parsePositiveNumber } from '../args.js'
import { adviseModes } from '../doctor/advice.js'
import { filesystemOf, measureFsync, measureSequential } from '../doctor/measure.js'
import { withExamples } from '../help.js'
import { c } from '../output/colour.js'
import { formatBytes, formatInt, formatLatency, formatRate } from '../output/format.js'
import { printJson, printText } from '../output/print.js'
import { createProgress } from '../output/progress.js'
import { renderFields, renderTable } from '../output/table.js'
import { requireDirectory } from '../paths.js'

interface DoctorOptions {
  seconds: string
  size: string
  writeBytes: string
  jobBytes: string
  concurrency: string
  json?: boolean
}

export function registerDoctor(program: Command): void {
  const cmd = program
    .command('doctor')
    .description('measure this disk (fdatasync latency and rate, sequential write speed) and say which durability mode fits which throughput')
    .argument('[dir]', 'directory on the disk to measure (a scratch file is written and removed)', '.')
    .option('--seconds <n>', 'how long to measure fdatasync', '2')
    .option('--size <MiB>', 'how much to write for the sequential test', '64')
    .option('--write-bytes <n>', 'bytes appended before each fdatasync', '4096')
    .option('--job-bytes <n>', 'log bytes per job assumed by the estimates (add + start + complete)', '256')
    .option('--concurrency <n>', 'concurrent producers assumed for the group-commit estimate', '100')
    .option('--json', 'print the measurements and advice as JSON')
    .action(async (dir: string, opts: DoctorOptions) => runDoctor(dir, opts))
  withExamples(cmd, ['wq doctor ./data', 'wq doctor /var/lib/myapp --seconds 5 --json'])
}

async function runDoctor(dir: string, opts: DoctorOptions): Promise<void> {
  const seconds = parsePositiveNumber(opts.seconds, '--seconds')
  const sizeMiB = parsePositiveNumber(opts.size, '--size')
  const writeBytes = parsePositiveInt(opts.writeBytes, '--write-bytes')
  const jobBytes = parsePositiveInt(opts.jobBytes, '--job-bytes')
  const concurrency = parsePositiveInt(opts.concurrency, '--concurrency')
  const abs = await requireDirectory(dir)

  const fs = await filesystemOf(abs)
  const progress = createProgress({ label: 'fdatasync  ', total: 100 })
  const fsync = await measureFsync(abs, { seconds, writeBytes, onProgress: (f) => progress.update(Math.round(f * 100)) })
  progress.label('sequential ')
  const sequential = await measureSequential(abs, {
    bytes: Math.round(sizeMiB * 1048576),
    onProgress: (f) => progress.update(Math.round(f * 100)),
  })
  progress.stop()
  const advice = adviseModes(fsync, sequential, fs, { jobBytes, concurrency })

  if (opts.json) {
    printJson({ dir: abs, filesystem: fs, fdatasync: fsync, sequentialWrite: sequential, advice })
    return
  }
  printText(
    [
      c.bold(`Disk holding ${abs}`) + c.dim(` (${fs.type})`),
      renderFields(
        [
          [
            'fdatasync',
            `${formatRate(fsync.perSecond)} · p50 ${formatLatency(fsync.p50Ms)} · p99 ${formatLatency(fsync.p99Ms)} · max ${formatLatency(fsync.maxMs)}` +
              c.dim(`  (${formatInt(fsync.samples)} × ${formatBytes(writeBytes)} appends)`),
          ],
          [
            'sequential',
            `${sequential.mbPerSecond.toFixed(1)} MB/s` +
              c.dim(`  (${formatBytes(sequential.bytes)} in ${formatBytes(sequential.chunkBytes)} writes, one fdatasync)`),
          ],
        ],
        '  ',
      ),
      '',
      c.bold('Durability modes here') + c.dim(` (≈${jobBytes} B of log per job)`),
      renderTable(
        [{ header: 'MODE' }, { header: 'SURVIVES' }, { header: 'ACK WAITS FOR' }, { header: 'FITS' }],
        advice.modes.map((m) => [c.cyan(m.mode), m.survives, m.waitsFor, m.fits]),
        '  ',
      ),
      '',
      ...advice.notes.map((n) => `  • ${n}`),
    ].join('\n'),
  )
}
