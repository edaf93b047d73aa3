/**
 * Single-writer lock: flock(LOCK_EX|LOCK_NB) on `<dir>/LOCK` for the writer's
 * lifetime, with the holder's PID written into the file.
 *
 * Taking the lock and writing the PID are two steps, so a contender can read
 * the file between them and see nothing, or the PID of a previous holder that
 * died (kill -9 leaves its PID behind; a clean release empties the file). A
 * contender therefore only reports a PID that belongs to a live process and
 * otherwise retries (the flock, then the read) for a short while.
 */
import { WalLockedError } from './errors.js'
import type { FileHandle, FileSystem } from './fs/file-system.js'
import { writeFully } from './fs/file-system.js'
import { LOCK_FILE, joinPath } from './segment-name.js'

const RETRY_MS = 5
const RETRY_FOR_MS = 2000

export interface HeldLock {
  release(): Promise<void>
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readPid(fh: FileHandle): Promise<number | null> {
  const buf = Buffer.alloc(32)
  const n = await fh.read(buf, 0, buf.length, 0)
  const text = buf.toString('latin1', 0, n).trim()
  if (!/^\d+$/.test(text)) return null
  const pid = Number(text)
  return pid > 0 ? pid : null
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Take the writer lock on `dir` or throw WalLockedError naming the holder. */
export async function acquireLock(fs: FileSystem, dir: string): Promise<HeldLock> {
  const path = joinPath(dir, LOCK_FILE)
  const deadline = Date.now() + RETRY_FOR_MS
  for (;;) {
    const fh = await fs.open(path, 'create')
    let locked = false
    try {
      locked = await fh.tryLock()
    } catch (err) {
      await fh.close()
      throw err
    }
    if (locked) {
      try {
        const pid = Buffer.from(`${process.pid}\n`)
        await fh.truncate(0)
        await writeFully(fh, pid, 0, pid.length, 0)
      } catch (err) {
        await fh.close().catch(() => {})
        throw err
      }
      return {
        async release() {
          // Empty the file first so nobody reads our PID after we are gone.
          await fh.truncate(0).catch(() => {})
          await fh.unlock().catch(() => {})
          await fh.close()
        },
      }
    }
    const pid = await readPid(fh).finally(() => fh.close())
    if ((pid !== null && isAlive(pid)) || Date.now() > deadline) throw new WalLockedError(dir, pid)
    await sleep(RETRY_MS)
  }
}

/** Whether `dir` is locked by a writer, and by which PID (null when unknown or unlocked). */
export async function lockHolder(fs: FileSystem, dir: string): Promise<{ locked: boolean; pid: number | null }> {
  const path = joinPath(dir, LOCK_FILE)
  const deadline = Date.now() + RETRY_FOR_MS
  for (;;) {
    let fh: FileHandle
    try {
      fh = await fs.open(path, 'read')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { locked: false, pid: null }
      throw err
    }
    try {
      if (await fh.tryLock()) {
        await fh.unlock()
        return { locked: false, pid: null }
      }
      const pid = await readPid(fh)
      if ((pid !== null && isAlive(pid)) || Date.now() > deadline) return { locked: true, pid }
    } finally {
      await fh.close()
    }
    await sleep(RETRY_MS)
  }
}
