/**
 * `pnpm crash [--cycles N] [--seed S] [--lanes L] [--modes sync,os]`: the kill -9
 * loop at any length. Replays a failure with the seed it printed (the load's
 * choices replay; the exact kill moment is wall-clock and does not).
 */
import { parseArgs } from 'node:util'
import { seedFromEnv } from './prng.mjs'
import { formatKill9Summary, runKill9, type KillMode } from './kill9/run-cycles.js'

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    lanes: { type: 'string', default: '2' },
    modes: { type: 'string' },
    'cycles-per-dir': { type: 'string', default: '25' },
    'no-delays': { type: 'boolean', default: false },
  },
})

const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : seedFromEnv()
const cycles = Number(values.cycles)
console.log(`kill -9 loop: seed=${seed} cycles=${cycles} (replay: pnpm crash --cycles ${cycles} --seed ${seed})`)
let lastPrint = Date.now()
let cyclesDone = 0
const summary = await runKill9({
  cycles,
  seed,
  lanes: Number(values.lanes),
  cyclesPerDir: Number(values['cycles-per-dir']),
  noDelays: values['no-delays'],
  modes: values.modes ? (values.modes.split(',') as KillMode[]) : undefined,
  onCycle: () => {
    cyclesDone++
    if (Date.now() - lastPrint > 5000) {
      lastPrint = Date.now()
      console.log(`  … ${cyclesDone}/${cycles} cycles`)
    }
  },
})
for (const v of summary.violations.slice(0, 50)) {
  console.log(`VIOLATION lane ${v.lane} cycle ${v.cycle} [${v.mode}] ${v.kind}: ${v.detail} (dir: ${v.dir}; the first 3 failing dirs are kept)`)
}
console.log(formatKill9Summary(summary))
process.exitCode = summary.violations.length === 0 && summary.lost === 0 ? 0 : 1
