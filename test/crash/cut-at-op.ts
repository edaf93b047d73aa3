// A power cut taken in the middle of whatever runs on a MemoryFs: just before its nth call that changes the disk
// (open for writing, write, fsync, truncate, rename, unlink, mkdir, directory fsync), so recovery and the work
// after it can be cut at any step of theirs.
import { overrideFs, overrideHandle, type CrashOptions, type FileSystem, type MemoryFs } from '@wq/wal/testing'

export interface OpCut {
  /** `mem`, counting its calls. */
  fs: FileSystem
  /** Calls that changed the disk so far. */
  readonly ops: number
  /** What the cut left, once the nth call came; null before. */
  readonly image: MemoryFs | null
}

export function cutAtOp(mem: MemoryFs, n: number, crash: CrashOptions): OpCut {
  let ops = 0
  let image: MemoryFs | null = null
  const tick = () => {
    if (++ops === n) image = mem.crash(crash)
  }
  const fs = overrideFs(mem, {
    async open(path, mode) {
      if (mode !== 'read') tick()
      const fh = await mem.open(path, mode)
      return overrideHandle(fh, {
        write: (buf, offset, length, position) => { tick(); return fh.write(buf, offset, length, position) },
        datasync: () => { tick(); return fh.datasync() },
        sync: () => { tick(); return fh.sync() },
        truncate: (length) => { tick(); return fh.truncate(length) },
      })
    },
    rename: (from, to) => { tick(); return mem.rename(from, to) },
    unlink: (path) => { tick(); return mem.unlink(path) },
    mkdir: (dir) => { tick(); return mem.mkdir(dir) },
    fsyncDir: (dir) => { tick(); return mem.fsyncDir(dir) },
  })
  return { fs, get ops() { return ops }, get image() { return image } }
}
