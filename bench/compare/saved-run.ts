/**
 * The figures of the last `pnpm bench` run, kept beside its scratch data, so
 * RESULTS.md can be written again from them (`--render-last`) once findings.md
 * has been brought up to date, without spending half an hour measuring again.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Collected, RunResult } from './collected.js'
import type { Options } from './options.js'

/**
 * Only a whole run is kept: a quick run is a smoke test, and a run narrowed with
 * --only or --workloads (a before/after pair, say) would otherwise replace the
 * full run's figures, and --render-last would then write a report of a few rows.
 */
export function keepsSavedRun(o: Pick<Options, 'quick' | 'only' | 'workloads'>): boolean {
  return !o.quick && o.only === undefined && o.workloads === undefined
}

export function savedRunFile(scratchDir: string): string {
  return join(scratchDir, 'last-run.json')
}

interface SavedRun extends Omit<Collected, 'results' | 'startedAt' | 'finishedAt'> {
  startedAt: string
  finishedAt?: string
  results: [string, [string, RunResult[]][]][]
}

export function serializeRun(c: Collected): string {
  const saved: SavedRun = {
    ...c,
    startedAt: c.startedAt.toISOString(),
    finishedAt: c.finishedAt?.toISOString(),
    results: [...c.results].map(([workload, bySystem]) => [workload, [...bySystem]]),
  }
  return JSON.stringify(saved)
}

export function parseRun(json: string): Collected {
  const saved = JSON.parse(json) as SavedRun
  return {
    ...saved,
    startedAt: new Date(saved.startedAt),
    finishedAt: saved.finishedAt === undefined ? undefined : new Date(saved.finishedAt),
    results: new Map(saved.results.map(([workload, bySystem]) => [workload, new Map(bySystem)])),
  }
}

export function saveRun(file: string, c: Collected): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, serializeRun(c))
}

/** The saved run, or an error that says what to do when there is none. */
export function loadRun(file: string): Collected {
  let json: string
  try {
    json = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`--render-last: no saved run at ${file}; run pnpm bench first`)
    throw err
  }
  return parseRun(json)
}
