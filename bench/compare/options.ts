/** Command-line options of `pnpm bench` (bench/compare/run.ts). */
import { fileURLToPath } from 'node:url'

export interface Options {
  quick: boolean
  /** --only: families or configuration ids (and `disk`); undefined = all */
  only?: string[]
  /** --workloads: workload ids or id prefixes (and `backlog`); undefined = all */
  workloads?: string[]
  runs: number
  /** runs of the end-to-end workloads, the ones the targets are judged on (more runs: a steadier median) */
  targetRuns: number
  count: number
  maxSeconds: number
  steadyRates: number[]
  steadySeconds: number
  backlogCount: number
  fsyncSeconds: number
  sequentialBytes: number
  /** --cpu-prof[=ids]: profile children of these systems (default: every wq configuration) */
  cpuProf?: string[]
  /** scratch root for data directories and profiles */
  dir: string
  write: boolean
  /** write RESULTS.md from the last full run's saved figures (and the current findings.md), measuring nothing */
  renderLast: boolean
}

export const USAGE = `usage: pnpm bench [-- options]
  --quick               smoke test: 100 B payloads, small counts, one run each; under two minutes
  --only=a,b            systems: wq, bullmq, sqlite, fastq, disk, or ids such as wq-sync, bullmq-always
  --workloads=a,b       workload ids or prefixes: enqueue-one, enqueue-bulk, process, e2e, steady, backlog
  --runs=N              runs per measurement (median reported; default 3, quick 1)
  --target-runs=N       runs of the end-to-end workloads, which the targets are judged on
                        (default 5, quick 1; --runs alone sets these too)
  --count=N             jobs per workload (default 100000, quick 1000)
  --max-seconds=S       stop a throughput run after S seconds and report what finished (default 8, quick 0.5)
  --rates=R,R           offered jobs/s for the steady-state runs (default 1000,10000; quick 1000)
  --backlog=N           waiting jobs for the memory/start-up measurement (default 1000000, quick 20000)
  --cpu-prof[=ids]      write a V8 CPU profile of each child of these systems (default: wq) under <dir>/profiles
  --dir=PATH            scratch directory (default .data/bench-compare)
  --no-write            print the tables but do not touch bench/RESULTS.md
  --write               write bench/RESULTS.md even with --quick (which by default only prints, so a
                        smoke run never replaces full results)
  --render-last         measure nothing: write bench/RESULTS.md again from the last full run's figures
                        (saved in <dir>/last-run.json), e.g. after editing bench/compare/findings.md`

const DEFAULT_DIR = fileURLToPath(new URL('../../.data/bench-compare', import.meta.url))

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean)
}

function positive(name: string, value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${value}`)
  return n
}

export function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick')
  const opts: Options = {
    quick,
    runs: quick ? 1 : 3,
    targetRuns: quick ? 1 : 5,
    count: quick ? 1_000 : 100_000,
    maxSeconds: quick ? 0.5 : 8,
    steadyRates: quick ? [1_000] : [1_000, 10_000],
    steadySeconds: quick ? 0.5 : 3,
    backlogCount: quick ? 20_000 : 1_000_000,
    fsyncSeconds: quick ? 0.3 : 2,
    sequentialBytes: (quick ? 32 : 512) * 2 ** 20,
    dir: DEFAULT_DIR,
    write: !quick,
    renderLast: false,
  }
  for (const arg of argv) {
    const [flag, value = ''] = arg.split(/=(.*)/s, 2)
    switch (flag) {
      case '--quick':
        break
      case '--only':
        opts.only = list(value)
        break
      case '--workloads':
        opts.workloads = list(value)
        break
      case '--runs':
        opts.runs = Math.round(positive(flag, value))
        if (!argv.some((a) => a.startsWith('--target-runs='))) opts.targetRuns = opts.runs
        break
      case '--target-runs':
        opts.targetRuns = Math.round(positive(flag, value))
        break
      case '--count':
        opts.count = Math.round(positive(flag, value))
        break
      case '--max-seconds':
        opts.maxSeconds = positive(flag, value)
        break
      case '--rates':
        opts.steadyRates = list(value).map((r) => positive(flag, r))
        break
      case '--backlog':
        opts.backlogCount = Math.round(positive(flag, value))
        break
      case '--cpu-prof':
        opts.cpuProf = value ? list(value) : ['wq']
        break
      case '--dir':
        opts.dir = value
        break
      case '--no-write':
        opts.write = false
        break
      case '--write':
        opts.write = true
        break
      case '--render-last':
        opts.renderLast = true
        break
      case '--help':
      case '-h':
        console.log(USAGE)
        process.exit(0)
        break
      case '--':
        break
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`)
    }
  }
  return opts
}
