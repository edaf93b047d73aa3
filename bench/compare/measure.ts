/**
 * Parent side of one measurement: a fresh data directory, a fresh redis-server
 * for BullMQ configurations, one child process; then cleanup. Tracks what is
 * running so an interrupted run stops its own Redis and nothing else.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { ChildMessage, MeasurementRequest } from './measurement.js'
import { processRssMb } from './memory.js'
import type { Options } from './options.js'
import { startRedis, type RedisHandle } from './redis-server.js'
import { runChild } from './spawn-child.js'
import type { SystemConfig } from './systems.js'

const liveRedis = new Set<RedisHandle>()

/** Stop every redis-server this run started (by PID). */
export async function stopAllRedis(): Promise<void> {
  await Promise.all([...liveRedis].map((r) => r.dispose()))
  liveRedis.clear()
}

export async function startTrackedRedis(system: SystemConfig, parentDir: string, dir?: string): Promise<RedisHandle> {
  const redis = await startRedis(system.redis!, parentDir, dir)
  liveRedis.add(redis)
  return redis
}

export async function stopTrackedRedis(redis: RedisHandle, keepDir = false): Promise<void> {
  liveRedis.delete(redis)
  if (keepDir) await redis.stop()
  else await redis.dispose()
}

export interface MeasureContext {
  childJs: string
  options: Options
  /** scratch directory of this run */
  runDir: string
}

export function profileFor(ctx: MeasureContext, system: SystemConfig): string | undefined {
  const wanted = ctx.options.cpuProf
  if (!wanted || !wanted.some((n) => n === system.id || n === system.family)) return undefined
  return join(ctx.options.dir, 'profiles')
}

export interface Measured {
  message: ChildMessage
  /** peak RSS of the Redis server during the child, MiB */
  serverRssMb?: number
}

/**
 * Runs `build(dir, redisPort)` as a child in a fresh directory with, for
 * BullMQ, a fresh Redis; removes both afterwards.
 */
export async function measureOnce(
  ctx: MeasureContext,
  system: SystemConfig,
  label: string,
  build: (dir: string, redisPort?: number) => MeasurementRequest,
  timeoutMs: number,
): Promise<Measured> {
  const dir = mkdtempSync(join(ctx.runDir, `${system.id}-`))
  const redis = system.family === 'bullmq' ? await startTrackedRedis(system, ctx.runDir) : undefined
  try {
    const profileDir = profileFor(ctx, system)
    const message = await runChild(ctx.childJs, build(dir, redis?.port), {
      timeoutMs,
      cpuProfDir: profileDir,
      cpuProfName: profileDir ? `${label}-${Date.now()}.cpuprofile` : undefined,
    })
    return { message, serverRssMb: redis ? processRssMb(redis.pid)?.peak : undefined }
  } finally {
    if (redis) await stopTrackedRedis(redis)
    rmSync(dir, { recursive: true, force: true })
  }
}
