/**
 * `wq demo [dir]`: the README's main job. A child engine enqueues a batch and
 * processes it with a progress bar, is killed with SIGKILL mid-run, this
 * process recovers the directory and finishes, and the log shows that
 * nothing was lost. Works the same without a terminal (no bar, plain lines).
 */
import type { Command } from 'commander'
import { rmSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parsePositiveInt, parsePositiveNumber } from '../args.js'
import { ExitCode, usageError } from '../errors.js'
import { withExamples } from '../help.js'
import { c } from '../output/colour.js'
import { formatDuration } from '../output/format.js'
import { printJson } from '../output/print.js'
import { runDemo } from '../demo/run.js'

interface DemoOptions {
  jobs: string
  concurrency: string
  workMs: string
  killAt: string
  keep?: boolean
  json?: boolean
}

export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .description('enqueue a batch, kill -9 the engine mid-run, recover, and show that nothing was lost')
    .argument('[dir]', 'new or empty directory for the data (default: a temporary one, removed afterwards)')
    .option('--jobs <n>', 'jobs in the batch', '10000')
    .option('--concurrency <n>', 'jobs worked on at once', '64')
    .option('--work-ms <ms>', 'mean simulated work per job', '12')
    .option('--kill-at <fraction>', 'kill the child when this fraction of the batch is processed', '0.5')
    .option('--keep', 'keep the temporary data directory to look at afterwards')
    .option('--json', 'print the outcome as JSON instead of the story')
    .action(async (dir: string | undefined, opts: DemoOptions) => demo(dir, opts))
  withExamples(cmd, ['wq demo', 'wq demo ./demo-data && wq inspect ./demo-data', 'wq demo --jobs 50000 --kill-at 0.3'])
}

async function prepareDir(dir: string | undefined): Promise<{ root: string; temporary: boolean }> {
  if (dir === undefined) return { root: await mkdtemp(join(tmpdir(), 'wq-demo-')), temporary: true }
  const root = resolve(dir)
  const entries = await readdir(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    if (err.code === 'ENOTDIR') throw usageError(`not a directory: ${dir}`)
    throw err
  })
  if (entries === null) await mkdir(root, { recursive: true })
  else if (entries.length > 0) throw usageError(`demo needs a new or empty directory: ${dir} is not empty`, 'give another path, or none for a temporary directory')
  return { root, temporary: false }
}

async function demo(dir: string | undefined, opts: DemoOptions): Promise<void> {
  const jobs = parsePositiveInt(opts.jobs, '--jobs')
  const concurrency = parsePositiveInt(opts.concurrency, '--concurrency')
  const workMs = parsePositiveNumber(opts.workMs, '--work-ms')
  const killAt = parsePositiveNumber(opts.killAt, '--kill-at')
  if (killAt >= 1) throw usageError('--kill-at: expected a fraction between 0 and 1, e.g. 0.5')
  const { root, temporary } = await prepareDir(dir)
  const say = opts.json ? () => {} : (line: string) => process.stdout.write(`${line}\n`)
  say(c.bold('wq demo: a durable queue surviving kill -9'))
  say(c.dim(`data directory ${root}`))
  say('')
  let keep = !temporary || opts.keep === true
  // Ctrl-C: the child goes with us (it watches its IPC channel); do not leave the temporary directory behind.
  const onInterrupt = (): void => {
    if (!keep) rmSync(root, { recursive: true, force: true })
    process.exit(130)
  }
  process.once('SIGINT', onInterrupt)
  try {
    const summary = await runDemo({ root, jobs, concurrency, workMs, killAt, stallMs: 15_000 }, say)
    if (!summary.ok) {
      keep = true
      process.exitCode = ExitCode.problems
    }
    if (opts.json) printJson({ ...summary, kept: keep })
    else {
      say('')
      say(c.dim(`done in ${formatDuration(summary.totalMs)}`))
      if (keep) say(`Look around: ${c.cyan(`wq inspect ${root}`)} · ${c.cyan(`wq dump ${root} --type fail`)} · ${c.cyan(`wq jobs ${root} list --state completed`)}`)
      else say(c.dim('(the temporary data was removed; run `wq demo ./some-dir` or add --keep to look around afterwards)'))
    }
  } catch (err) {
    keep = true
    if (!opts.json) process.stderr.write(c.dim(`data kept for a look: ${root}\n`))
    throw err
  } finally {
    process.off('SIGINT', onInterrupt)
    if (!keep) await rm(root, { recursive: true, force: true })
  }
}
