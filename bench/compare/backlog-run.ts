/**
 * Parent side of the large-backlog measurement: the phases of each system in
 * order, each in its own child, on one data directory that survives between
 * phases (for BullMQ, one Redis directory restarted between them).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { BacklogPhaseResult, BacklogRow, Collected } from './collected.js'
import { measureOnce, profileFor, startTrackedRedis, stopTrackedRedis, type MeasureContext } from './measure.js'
import type { BacklogRequest } from './measurement.js'
import { processRssMb } from './memory.js'
import type { RedisHandle } from './redis-server.js'
import { directoryBytes } from './scratch-dir.js'
import { runChild } from './spawn-child.js'
import type { SystemConfig } from './systems.js'

/** The configuration each family is measured in: the durable one a user would run with a large backlog. */
const BACKLOG_SYSTEMS = ['wq-sync', 'bullmq-everysec', 'sqlite-normal', 'fastq']

/** A peer whose fill would take longer stops there (wq fills a million in seconds; BullMQ needs minutes on a loaded machine). */
const MAX_FILL_SECONDS = 90

const PHASES: Record<SystemConfig['family'], BacklogRequest['phase'][]> = {
  wq: ['fill', 'restart', 'restart-snapshot'],
  sqlite: ['fill', 'restart'],
  bullmq: ['fill', 'restart'],
  fastq: ['fill'],
}

function describe(phase: BacklogPhaseResult): string {
  return `${phase.phase}: ${phase.seconds.toFixed(2)} s, RSS ${Math.round(phase.rssMb)} MiB${phase.serverRssMb ? ` + Redis ${Math.round(phase.serverRssMb)} MiB` : ''}, ${phase.waiting} waiting`
}

async function backlogFor(ctx: MeasureContext, system: SystemConfig, count: number): Promise<BacklogRow> {
  const row: BacklogRow = { system, notes: [] }
  if (system.family === 'fastq') {
    const { message } = await measureOnce(ctx, system, `backlog-${system.id}`, (dir) => ({ type: 'backlog', systemId: system.id, phase: 'fill', count, dir, maxFillSeconds: MAX_FILL_SECONDS }), 600_000)
    if (message.ok && message.result.type === 'backlog') row.fill = message.result
    else if (!message.ok) row.notes.push(`failed: ${message.error.split('\n')[0]}`)
    return row
  }
  const dir = mkdtempSync(join(ctx.runDir, `backlog-${system.id}-`))
  let redis: RedisHandle | undefined
  try {
    for (const phase of PHASES[system.family]) {
      let serverStartupMs: number | undefined
      if (system.family === 'bullmq') {
        if (redis) await stopTrackedRedis(redis, true)
        redis = await startTrackedRedis(system, ctx.runDir, join(dir, 'redis'))
        if (phase !== 'fill') serverStartupMs = redis.startupMs
      }
      const profileDir = profileFor(ctx, system)
      const message = await runChild(ctx.childJs, { type: 'backlog', systemId: system.id, phase, count, dir, redisPort: redis?.port, maxFillSeconds: MAX_FILL_SECONDS }, {
        timeoutMs: 900_000,
        cpuProfDir: profileDir,
        cpuProfName: profileDir ? `backlog-${system.id}-${phase}-${Date.now()}.cpuprofile` : undefined,
      })
      if (!message.ok || message.result.type !== 'backlog') {
        row.notes.push(`${phase} failed: ${message.ok ? 'unexpected result' : message.error.split('\n')[0]}`)
        break
      }
      const result: BacklogPhaseResult = { ...message.result, diskBytes: directoryBytes(dir), serverStartupMs, serverRssMb: redis ? processRssMb(redis.pid)?.rss : undefined }
      console.log(`  backlog · ${system.id} · ${describe(result)}`)
      if (phase === 'fill' && result.waiting < count) row.notes.push(`filled ${result.waiting.toLocaleString('en-US')} of ${count.toLocaleString('en-US')} in the ${MAX_FILL_SECONDS} s allowed; per-job figures use that count`)
      else if (phase !== 'fill' && result.waiting !== row.fill?.waiting) row.notes.push(`${phase}: ${result.waiting} waiting after restart, ${row.fill?.waiting} before`)
      if (phase === 'fill') row.fill = result
      else if (phase === 'restart') row.restart = result
      else row.restartSnapshot = result
    }
  } finally {
    if (redis) await stopTrackedRedis(redis)
    rmSync(dir, { recursive: true, force: true })
  }
  return row
}

export async function runBacklog(ctx: MeasureContext, collected: Collected): Promise<void> {
  const count = ctx.options.backlogCount
  for (const id of BACKLOG_SYSTEMS) {
    const system = collected.systems.find((s) => s.id === id)
    if (!system) continue
    console.log(`backlog of ${count.toLocaleString('en-US')} waiting jobs · ${system.id}`)
    collected.backlog.push(await backlogFor(ctx, system, count))
  }
}
