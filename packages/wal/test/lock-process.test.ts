import { describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Wal, WalLockedError, readLockHolder } from '@wq/wal'
import { tempDir } from './helpers.js'

const CHILD = fileURLToPath(new URL('./fixtures/hold-lock.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Start a child that opens `dir` for writing; resolves with its first output line. */
function startChild(dir: string): { child: ChildProcess; line: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  const line = new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve(out.slice(0, nl))
    })
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before reporting; output: ${out}`)))
  })
  return { child, line }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()))
}

describe('single writer across processes', () => {
  it('a second process gets WalLockedError naming the holder; the lock is free again after SIGKILL', async () => {
    const dir = await tempDir()
    const holder = startChild(dir)
    try {
      expect(await holder.line).toBe(`locked ${holder.child.pid}`)
      // This process is the second writer.
      const err = await Wal.open({ dir }).catch((e) => e)
      expect(err).toBeInstanceOf(WalLockedError)
      expect(err.pid).toBe(holder.child.pid)
      expect(await readLockHolder(dir)).toEqual({ locked: true, pid: holder.child.pid })
      // And another process too.
      const third = startChild(dir)
      expect(await third.line).toBe(`refused ${holder.child.pid}`)
      await exited(third.child)
    } finally {
      holder.child.kill('SIGKILL')
      await exited(holder.child)
    }
    expect((await readLockHolder(dir)).locked).toBe(false)
    const wal = await Wal.open({ dir })
    expect(wal.lastLsn).toBe(1)
    await wal.close()
  })
})
