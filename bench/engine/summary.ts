/**
 * The pure half of `pnpm bench:engine`: its options, and how repeated runs
 * become a row. A single run on this shared 2-core machine can land 20–40 %
 * off the next one, so each throughput row is the median of several runs,
 * with the range beside it, and a target is judged on that median only.
 */
import { median } from '../compare/stats.js'

export interface EngineBenchOptions {
  quick: boolean
  /** runs of each throughput measurement (end to end per mode, addBulk); default 3, quick 1 */
  runs: number
  /** --only: e2e, bulk, recovery, memory; null = all */
  only: Set<string> | null
  /** rewrite the engine section of bench/RESULTS.md (not by default with --quick, so a smoke run never replaces full results) */
  write: boolean
}

export const ENGINE_USAGE = `usage: pnpm bench:engine [-- options]
  --quick          small sizes, one run each (a smoke run, not a measurement)
  --runs=N         runs of each throughput row, median reported (default 3, quick 1)
  --only=a,b       e2e, bulk, recovery, memory
  --no-write       print the table but leave bench/RESULTS.md alone
  --write          rewrite bench/RESULTS.md even with --quick (which by default only prints)`

const PARTS = new Set(['e2e', 'bulk', 'recovery', 'memory'])

export function parseEngineOptions(argv: string[]): EngineBenchOptions {
  const quick = argv.includes('--quick')
  const opts: EngineBenchOptions = { quick, runs: quick ? 1 : 3, only: null, write: !quick }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const [flag, inline] = arg.split(/=(.*)/s, 2)
    // `--only e2e` and `--only=e2e` both work, as they did before --runs existed.
    const value = () => inline ?? argv[++i] ?? ''
    switch (flag) {
      case '--quick':
        break
      case '--write':
        opts.write = true
        break
      case '--no-write':
        opts.write = false
        break
      case '--runs': {
        const raw = value()
        const n = Number(raw)
        if (!Number.isInteger(n) || n < 1) throw new Error(`--runs must be a whole number of at least 1, got "${raw}"`)
        opts.runs = n
        break
      }
      case '--only': {
        const parts = value().split(',').map((s) => s.trim()).filter(Boolean)
        const unknown = parts.filter((p) => !PARTS.has(p))
        if (parts.length === 0 || unknown.length > 0) {
          throw new Error(`--only takes ${[...PARTS].join(', ')}; got "${parts.join(',') || '(nothing)'}"`)
        }
        opts.only = new Set(parts)
        break
      }
      default:
        throw new Error(`unknown option ${arg}\n${ENGINE_USAGE}`)
    }
  }
  return opts
}

/** One timed run: jobs per wall-clock second and per CPU-second of this process. */
export interface Rate {
  wall: number
  cpu: number
}

/** A throughput measurement over its runs. */
export interface RateSummary {
  runs: number
  wall: number
  wallMin: number
  wallMax: number
  cpu: number
}

export function summarize(runs: readonly Rate[]): RateSummary {
  if (runs.length === 0) throw new Error('no runs to summarize')
  const walls = runs.map((r) => r.wall)
  return {
    runs: runs.length,
    wall: median(walls),
    wallMin: Math.min(...walls),
    wallMax: Math.max(...walls),
    cpu: median(runs.map((r) => r.cpu)),
  }
}

const int = (n: number) => Math.round(n).toLocaleString('en-US')

/** `241,199 jobs/s`, with the range when there was more than one run. */
export function rateCell(s: RateSummary): string {
  return s.runs === 1 ? `${int(s.wall)} jobs/s` : `${int(s.wall)} jobs/s (${int(s.wallMin)}–${int(s.wallMax)})`
}

/** A lower bound on a rate (`≥ 250,000`), or an upper bound on a time or size (`< 2,000 ms`, `≤ 400 MB`). */
export interface Target {
  text: string
  met(value: number): boolean
}

export const atLeast = (n: number): Target => ({ text: `≥ ${int(n)}`, met: (v) => v >= n })
export const below = (n: number, unit: string): Target => ({ text: `< ${int(n)} ${unit}`, met: (v) => v < n })
export const atMost = (n: number, unit: string): Target => ({ text: `≤ ${int(n)} ${unit}`, met: (v) => v <= n })

/** `met` or `**missed**`, judged on the figure the row reports (for throughput, the median); empty without a target. */
export function status(target: Target | undefined, value: number): string {
  if (target === undefined) return ''
  return target.met(value) ? 'met' : '**missed**'
}
