// What the engine sweeps share around their cases: one vitest test per durability mode, each running its seeded
// cases one by one, with every violation (and any unhandled rejection, reported against the case that ran) named
// with the line that replays it, and a summary line per mode.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { printSummary } from '../../crash/summary.js'
import type { V } from './after-reopen.js'
import { clock } from './harness.js'
import { MODES, type Mode } from './queues.js'

export interface SweepOptions<C, S extends Record<string, number>> {
  /** The summary's name, e.g. "I/O fault sweep (engine)". */
  name: string
  /** Environment variable naming one case to replay: `<mode>:<index>`. */
  onlyVar: string
  seed: number
  perMode: number
  /** The test's title after the mode, e.g. "cases — every promise settles". */
  title: (mode: Mode, count: number) => string
  /** The cases of one mode, from index 0: case i must depend only on the seed, the mode and i. */
  cases: (mode: Mode, count: number) => C[]
  describeCase: (c: C) => string
  stats: () => S
  run: (c: C, V: V, stats: S) => Promise<void>
  /** Checks that the run was not vacuous (skipped when one case is replayed). */
  notVacuous: (stats: S & { cases: number }) => void
}

/** Defines the sweep's tests; call inside a `describe`. */
export function sweepEveryMode<C, S extends Record<string, number>>(o: SweepOptions<C, S>): void {
  const only = process.env[o.onlyVar]
  let current: V | null = null
  const onUnhandled = (err: unknown) => current?.('unhandled-rejection', String((err as Error)?.stack ?? err).split('\n').slice(0, 3).join(' | '))
  beforeAll(() => {
    clock.install()
    process.on('unhandledRejection', onUnhandled)
  })
  afterAll(() => {
    clock.uninstall()
    process.off('unhandledRejection', onUnhandled)
  })
  for (const mode of MODES) {
    const [onlyMode, onlyIndex] = only?.split(':') ?? []
    const indexes = only ? (onlyMode === mode ? [Number(onlyIndex)] : []) : Array.from({ length: o.perMode }, (_, i) => i)
    it.skipIf(indexes.length === 0)(`${mode}: ${indexes.length} ${o.title(mode, indexes.length)} (seed ${o.seed})`, async () => {
      const cases = o.cases(mode, Math.max(...indexes) + 1)
      const violations: string[] = []
      const stats = { cases: 0, ...o.stats() }
      for (const i of indexes) {
        const c = cases[i]
        const replay = `WQ_SEED=${o.seed} ${o.onlyVar}=${mode}:${i}`
        const V: V = (kind, detail) => violations.push(`mode=${mode} case ${i} [${o.describeCase(c)}] ${kind}: ${detail} — replay: ${replay}`)
        current = V
        try {
          await o.run(c, V, stats)
        } catch (err) {
          V('threw', String((err as Error)?.stack ?? err).split('\n').slice(0, 8).join(' | '))
        }
        // Unhandled rejections surface a turn later: let them be reported against this case.
        await new Promise((r) => setImmediate(r))
        current = null
        stats.cases++
      }
      printSummary(o.name, { mode, seed: o.seed, ...stats, violations: violations.length })
      expect(violations.slice(0, 10), `${violations.length} violations in ${mode} (WQ_SEED=${o.seed}; one case: ${o.onlyVar}=${mode}:<i>)`).toEqual([])
      if (!only) o.notVacuous(stats)
    }, Math.max(60_000, o.perMode * 3000))
  }
}
