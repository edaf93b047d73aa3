// The kill -9 loop in CI: a child runs the engine (built dist/) under mixed
// load and reports every acknowledgement; the parent SIGKILLs it at random
// moments and checks every invariant on the directory after each crash.
// WQ_SEED replays a run's choices; WQ_KILL9_CYCLES runs longer (or `pnpm crash`).
import { expect, it } from 'vitest'
import { seedFromEnv } from './prng.mjs'
import { formatKill9Summary, runKill9 } from './kill9/run-cycles.js'

const SEED = seedFromEnv()
const CYCLES = Number(process.env.WQ_KILL9_CYCLES ?? 200)

it(`kill -9 loop: ${CYCLES} cycles lose nothing acknowledged (buffered: only its buffer) and break no invariant (seed ${SEED})`, async () => {
  const summary = await runKill9({ cycles: CYCLES, seed: SEED, lanes: 2, cyclesPerDir: 10 })
  process.stdout.write(`[crash-suite] ${formatKill9Summary(summary)}\n`)
  const byKind = new Map<string, string[]>()
  for (const v of summary.violations) {
    const list = byKind.get(v.kind) ?? []
    list.push(`[${v.mode}, cycle ${v.cycle}] ${v.detail}`)
    byKind.set(v.kind, list)
  }
  const report = [...byKind].map(([kind, list]) => `${kind} ×${list.length}: ${list.slice(0, 3).join(' | ')}`).join('\n')
  expect(summary.cycles).toBe(CYCLES)
  expect(summary.acknowledged.adds, 'the load did some work').toBeGreaterThan(CYCLES)
  expect(report, `violations (replay with WQ_SEED=${SEED})`).toBe('')
  expect(summary.lost).toBe(0)
}, 240_000)
