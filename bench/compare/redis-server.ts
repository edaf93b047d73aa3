/**
 * A private redis-server for one measurement: 127.0.0.1 only, a free port, its
 * own temporary directory, persistence as configured. It is stopped by the PID
 * this module started — never by name — and its directory removed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { RedisPersistence } from './systems.js'

const READY_TIMEOUT_MS = 120_000

export interface RedisHandle {
  port: number
  pid: number
  dir: string
  /** ms from spawn until Redis accepted connections (includes loading its AOF) */
  startupMs: number
  /** SIGTERM, wait for exit; keeps the directory (so a restart can load it) */
  stop(): Promise<void>
  /** stop, then delete the directory */
  dispose(): Promise<void>
}

/** undefined when redis-server is available; otherwise why it is not. */
export function redisUnavailableReason(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (probe.error) {
    return `redis-server not found (${(probe.error as NodeJS.ErrnoException).code}); install it (Debian/Ubuntu: apt-get install -y redis-server) to include BullMQ`
  }
  if (probe.status !== 0) return `redis-server --version exited with ${probe.status}: ${probe.stderr.trim()}`
  return undefined
}

export function redisVersion(): string {
  const out = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout
  return /v=(\S+)/.exec(out)?.[1] ?? 'unknown'
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

function persistenceArgs(persistence: RedisPersistence): string[] {
  // RDB snapshots are off in every configuration: the AOF alone is the durability under test.
  if (persistence === 'off') return ['--appendonly', 'no', '--save', '']
  return ['--appendonly', 'yes', '--appendfsync', persistence, '--save', '']
}

/** Start redis-server in `dir` (a new temp dir under `parentDir` when not given). */
export async function startRedis(persistence: RedisPersistence, parentDir: string, dir?: string): Promise<RedisHandle> {
  const dataDir = dir ?? mkdtempSync(join(parentDir, 'redis-'))
  mkdirSync(dataDir, { recursive: true })
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--daemonize', 'no', '--protected-mode', 'yes', '--logfile', '', ...persistenceArgs(persistence)]
  const started = performance.now()
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const startupMs = await waitReady(proc)
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      process.kill(proc.pid!, 'SIGTERM')
      await exited
    }
  }
  return {
    port,
    pid: proc.pid!,
    dir: dataDir,
    startupMs: startupMs - started,
    stop,
    async dispose() {
      await stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

function waitReady(proc: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      proc.kill('SIGTERM')
      reject(new Error(`redis-server not ready after ${READY_TIMEOUT_MS} ms:\n${output}`))
    }, READY_TIMEOUT_MS)
    proc.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with ${code}:\n${output}`))
    })
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        proc.removeAllListeners('exit')
        proc.stdout!.removeListener('data', onData)
        // Keep draining output so Redis never blocks on a full pipe.
        proc.stdout!.resume()
        resolve(performance.now())
      }
    }
    proc.stdout!.on('data', onData)
    proc.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
  })
}
