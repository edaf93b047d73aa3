/**
 * @wq/wal/testing — file-system doubles for testing code built on the WAL:
 * `MemoryFs` (power-loss images via crash()), `FaultyFs` (injected I/O
 * errors and an op log), and `overrideFs`/`overrideHandle` to change one call.
 */
export { MemoryFs, type CrashOptions, type UnsyncedFate } from './memory-fs.js'
export { FaultyFs, type FaultRule, type FsOp, type OpLogEntry } from './faulty-fs.js'
export { fsError } from './fs-error.js'
export { overrideFs, overrideHandle } from './override-fs.js'
export { prng } from './prng.js'
export type { FileSystem, FileHandle, FileStat, OpenMode } from '../fs/file-system.js'
