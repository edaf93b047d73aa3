/**
 * `pnpm bench`: wq in every durability mode side by side with BullMQ + Redis,
 * an SQLite queue and fastq, plus the disk's own limits, on this machine in
 * one run. Writes the `compare` section of bench/RESULTS.md. See bench/README.md.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { unavailableReason } from './availability.js'
import { runBacklog } from './backlog-run.js'
import { buildChild } from './child-build.js'
import type { Collected, RunResult } from './collected.js'
import { measureOnce, stopAllRedis, type MeasureContext } from './measure.js'
import type { WorkloadResult } from './measurement.js'
import { parseOptions, type Options } from './options.js'
import { redisVersion } from './redis-server.js'
import { renderReport } from './report.js'
import { keepsSavedRun, loadRun, saveRun, savedRunFile } from './saved-run.js'
import { int, ms } from './stats.js'
import { selectSystems, type SystemConfig } from './systems.js'
import { runsOf, workloads, type Workload } from './workloads.js'
import { machineFacts, writeSection } from '../results-md.js'

const require = createRequire(import.meta.url)

function packageVersion(name: string): string {
  try {
    const main = require.resolve(name)
    const root = main.slice(0, main.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length)
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

function selectedWorkloads(opts: Options): Workload[] {
  const all = workloads({ quick: opts.quick, count: opts.count, steadyRates: opts.steadyRates, steadySeconds: opts.steadySeconds })
  if (!opts.workloads) return all
  return all.filter((w) => opts.workloads!.some((name) => w.id === name || w.id.startsWith(`${name}-`) || w.kind === name))
}

async function availableSystems(opts: Options, collected: Collected): Promise<SystemConfig[]> {
  const wanted = selectSystems(opts.only)
  const reasons = new Map<string, string | undefined>()
  for (const family of new Set(wanted.map((s) => s.family))) reasons.set(family, await unavailableReason(family))
  for (const [family, reason] of reasons) {
    if (!reason) continue
    const ids = wanted.filter((s) => s.family === family).map((s) => s.id)
    console.warn(`SKIPPING ${family} (${ids.join(', ')}): ${reason}`)
    collected.skipped.push({ name: `${family} (${ids.join(', ')})`, reason })
  }
  return wanted.filter((s) => !reasons.get(s.family))
}

function describeRun(r: WorkloadResult): string {
  const parts = [`${int(r.jobsPerSec)} jobs/s`]
  if (r.capped) parts.push(`capped: ${int(r.done)} of ${int(r.target)} in ${r.seconds.toFixed(1)} s`)
  if (r.addToComplete) parts.push(`add→complete p50 ${ms(r.addToComplete.p50)} p99 ${ms(r.addToComplete.p99)} ms`)
  parts.push(`RSS ${int(r.rssMb)} MiB`)
  return parts.join(', ')
}

async function measureDisk(ctx: MeasureContext, collected: Collected): Promise<void> {
  console.log('disk limits…')
  const message = await measureOnce(
    ctx,
    { id: 'disk', family: 'fastq', label: 'disk', durability: '', durabilityClass: 'none' },
    'disk',
    (dir) => ({ type: 'disk', dir, fsyncSeconds: ctx.options.fsyncSeconds, sequentialBytes: ctx.options.sequentialBytes }),
    120_000,
  )
  if (message.message.ok && message.message.result.type === 'disk') {
    collected.disk = message.message.result
    const d = collected.disk
    console.log(`  ${int(d.fdatasyncOverwritePerSec)} fdatasync/s in place, ${int(d.fdatasyncAppendPerSec)} appending, ${int(d.sequentialWriteMBps)} MB/s sequential, ${int(d.cachedRewriteMBps ?? 0)} MB/s rewriting cached pages`)
  } else if (!message.message.ok) {
    collected.failures.push({ what: 'disk limits', system: 'disk', error: message.message.error })
  }
}

async function measureWorkloads(ctx: MeasureContext, collected: Collected): Promise<void> {
  const total = collected.workloads.reduce((sum, w) => sum + runsOf(w, ctx.options), 0) * collected.systems.length
  let step = 0
  for (const workload of collected.workloads) {
    const byId = new Map<string, RunResult[]>()
    collected.results.set(workload.id, byId)
    console.log(`\n${workload.title}`)
    const runs = runsOf(workload, ctx.options)
    // Runs interleave systems, so a burst of load from elsewhere on the machine hits all of them alike.
    for (let run = 1; run <= runs; run++) {
      for (const system of collected.systems) {
        step++
        const label = `${workload.id}-${system.id}-run${run}`
        const timeoutMs = ctx.options.maxSeconds * 3_000 + (workload.kind === 'steady' ? (workload.count / (workload.rate ?? 1)) * 1000 : 0) + 180_000
        const childStarted = performance.now()
        const { message, serverRssMb } = await measureOnce(
          ctx,
          system,
          label,
          (dir, redisPort) => ({ type: 'workload', systemId: system.id, workload, dir, redisPort, maxSeconds: ctx.options.maxSeconds }),
          timeoutMs,
        )
        const wall = ((performance.now() - childStarted) / 1000).toFixed(1)
        const prefix = `  [${step}/${total}] ${system.id.padEnd(16)} run ${run}/${runs} (${wall} s):`
        if (!message.ok || message.result.type !== 'workload') {
          const error = message.ok ? 'unexpected result' : message.error
          console.error(`${prefix} FAILED ${error}`)
          collected.failures.push({ what: workload.id, system: system.id, error })
          continue
        }
        const result: RunResult = { ...message.result, serverRssMb }
        console.log(`${prefix} ${describeRun(result)}`)
        byId.set(system.id, [...(byId.get(system.id) ?? []), result])
      }
    }
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  if (options.renderLast) {
    writeSection('compare', renderReport(loadRun(savedRunFile(options.dir))))
    console.log(`wrote the compare section of bench/RESULTS.md from ${savedRunFile(options.dir)}`)
    return
  }
  const started = performance.now()
  const collected: Collected = {
    options,
    machine: machineFacts(),
    startedAt: new Date(),
    versions: {},
    systems: [],
    skipped: [],
    failures: [],
    workloads: selectedWorkloads(options),
    results: new Map(),
    backlog: [],
  }
  console.log(`pnpm bench${options.quick ? ' --quick' : ''}: ${collected.machine}`)
  collected.systems = await availableSystems(options, collected)
  const families = new Set(collected.systems.map((s) => s.family))
  collected.versions.node = process.version
  if (families.has('bullmq')) Object.assign(collected.versions, { bullmq: packageVersion('bullmq'), 'redis-server': redisVersion() })
  if (families.has('sqlite')) Object.assign(collected.versions, { plainjob: packageVersion('plainjob'), 'better-sqlite3': packageVersion('better-sqlite3') })
  if (families.has('fastq')) collected.versions.fastq = packageVersion('fastq')

  mkdirSync(options.dir, { recursive: true })
  const runDir = mkdtempSync(join(options.dir, 'run-'))
  const ctx: MeasureContext = { childJs: buildChild(), options, runDir }
  const interrupted = () => {
    void stopAllRedis().finally(() => {
      rmSync(runDir, { recursive: true, force: true })
      process.exit(130)
    })
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    if (!options.only || options.only.includes('disk')) await measureDisk(ctx, collected)
    await measureWorkloads(ctx, collected)
    if (!options.workloads || options.workloads.includes('backlog')) await runBacklog(ctx, collected)
  } finally {
    await stopAllRedis()
    rmSync(runDir, { recursive: true, force: true })
  }
  collected.finishedAt = new Date()
  if (keepsSavedRun(options)) saveRun(savedRunFile(options.dir), collected)
  const markdown = renderReport(collected)
  console.log(`\n${markdown}\n`)
  if (options.write) {
    writeSection('compare', markdown)
    console.log('wrote the compare section of bench/RESULTS.md')
  }
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err)
  await stopAllRedis()
  process.exit(1)
})
