/**
 * @wq/wal — a segmented, checksummed, append-only write-ahead log.
 * See README.md for the on-disk format and what each durability mode guarantees.
 */
import { lockHolder } from './lock.js'
import { classifyName } from './segment-name.js'
import { nodeFs } from './fs/node-fs.js'
import type { FileSystem } from './fs/file-system.js'

export { Wal } from './wal.js'
export { checkWalOptions } from './options.js'
export { WalReader, type WalReaderOptions } from './wal-reader.js'
export { WalError, WalCorruptionError, WalLockedError, WalPoisonedError, WalClosedError, RecordTooLargeError } from './errors.js'
export { nodeFs } from './fs/node-fs.js'
export type { FileSystem, FileHandle, FileStat, OpenMode } from './fs/file-system.js'
export type * from './types.js'

/** Whether a writer holds `dir`'s lock, and its PID when known. Takes the lock for an instant if it is free. */
export function readLockHolder(dir: string, fs: FileSystem = nodeFs): Promise<{ locked: boolean; pid: number | null }> {
  return lockHolder(fs, dir)
}

/** True if `dir` exists and holds at least one WAL segment or snapshot. */
export async function isWalDir(dir: string, fs: FileSystem = nodeFs): Promise<boolean> {
  let names: string[]
  try {
    names = await fs.readdir(dir)
  } catch {
    return false
  }
  return names.some((n) => {
    const k = classifyName(n).kind
    return k === 'segment' || k === 'snapshot'
  })
}
