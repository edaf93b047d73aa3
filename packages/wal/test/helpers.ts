import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach } from 'vitest'
import type { WalLogger } from '../src/types.js'

const dirs: string[] = []

/** A fresh temp directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'wq-wal-test-'))
  dirs.push(d)
  return d
}

afterEach(async () => {
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true })
})

/** Deterministic payload for record i. */
export function payloadFor(i: number, size = 16): Buffer {
  const b = Buffer.alloc(size)
  for (let j = 0; j < size; j++) b[j] = j < 4 ? (i >>> (8 * j)) & 0xff : (i * 31 + j) & 0xff
  return b
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error'
  obj: object
  msg?: string
}

/** A logger that records what it is told. */
export function memoryLogger(): WalLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = []
  return {
    entries,
    info: (obj, msg) => entries.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => entries.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => entries.push({ level: 'error', obj, msg }),
  }
}
