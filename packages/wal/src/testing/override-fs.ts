/**
 * Small doubles for tests that need one file-system call to behave differently (held at a gate, counted,
 * shortened) while everything else goes to a real double such as MemoryFs.
 */
import type { FileHandle, FileSystem } from '../fs/file-system.js'

/** `inner` with some of its calls replaced; the rest are forwarded. */
export function overrideFs(inner: FileSystem, overrides: Partial<FileSystem>): FileSystem {
  return {
    open: (p, m) => inner.open(p, m),
    readdir: (d) => inner.readdir(d),
    mkdir: (d) => inner.mkdir(d),
    stat: (p) => inner.stat(p),
    rename: (a, b) => inner.rename(a, b),
    unlink: (p) => inner.unlink(p),
    fsyncDir: (d) => inner.fsyncDir(d),
    ...overrides,
  }
}

/** `fh` with some of its methods replaced; the others (and `path`) are `fh`'s own. */
export function overrideHandle(fh: FileHandle, overrides: Partial<Omit<FileHandle, 'path'>>): FileHandle {
  return Object.assign(Object.create(fh) as FileHandle, overrides)
}
