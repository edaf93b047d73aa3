/**
 * The real file system: node:fs callbacks wrapped in promises (cheaper per call
 * than fs.promises' FileHandle), and fs-ext for flock.
 */
import fs from 'node:fs'
import fsExt from 'fs-ext'
import type { FileHandle, FileStat, FileSystem, OpenMode } from './file-system.js'

const C = fs.constants
const FLAGS: Record<OpenMode, number> = {
  read: C.O_RDONLY,
  readwrite: C.O_RDWR,
  create: C.O_RDWR | C.O_CREAT,
  truncate: C.O_RDWR | C.O_CREAT | C.O_TRUNC,
  exclusive: C.O_RDWR | C.O_CREAT | C.O_EXCL,
}

function toStat(s: fs.Stats): FileStat {
  return { size: s.size, mtime: s.mtime, isDirectory: s.isDirectory() }
}

class NodeFile implements FileHandle {
  constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  read(buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.read(this.fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n)))
    })
  }

  write(buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.write(this.fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n)))
    })
  }

  datasync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())))
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fsync(this.fd, (err) => (err ? reject(err) : resolve())))
  }

  truncate(length: number): Promise<void> {
    return new Promise((resolve, reject) => fs.ftruncate(this.fd, length, (err) => (err ? reject(err) : resolve())))
  }

  stat(): Promise<FileStat> {
    return new Promise((resolve, reject) => fs.fstat(this.fd, (err, s) => (err ? reject(err) : resolve(toStat(s)))))
  }

  tryLock(): Promise<boolean> {
    return new Promise((resolve, reject) => {
      fsExt.flock(this.fd, 'exnb', (err) => {
        if (!err) resolve(true)
        else if (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK') resolve(false)
        else reject(err)
      })
    })
  }

  unlock(): Promise<void> {
    return new Promise((resolve, reject) => fsExt.flock(this.fd, 'un', (err) => (err ? reject(err) : resolve())))
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => fs.close(this.fd, (err) => (err ? reject(err) : resolve())))
  }
}

/** The real file system. */
export const nodeFs: FileSystem = {
  open(path: string, mode: OpenMode): Promise<FileHandle> {
    return new Promise((resolve, reject) => {
      fs.open(path, FLAGS[mode], 0o644, (err, fd) => (err ? reject(err) : resolve(new NodeFile(path, fd))))
    })
  },
  readdir: (dir) => fs.promises.readdir(dir),
  mkdir: async (dir) => {
    await fs.promises.mkdir(dir, { recursive: true })
  },
  stat: async (path) => toStat(await fs.promises.stat(path)),
  rename: (from, to) => fs.promises.rename(from, to),
  unlink: (path) => fs.promises.unlink(path),
  async fsyncDir(dir: string): Promise<void> {
    const fd = await new Promise<number>((resolve, reject) => fs.open(dir, C.O_RDONLY, (err, fd) => (err ? reject(err) : resolve(fd))))
    try {
      await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())))
    } finally {
      await new Promise<void>((resolve) => fs.close(fd, () => resolve()))
    }
  },
}
