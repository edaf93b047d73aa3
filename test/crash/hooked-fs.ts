/**
 * A FileSystem wrapper that lets a test watch file operations as they happen:
 * how large a read was asked for (fuzzing: a hostile length must not size a
 * read), and which data syncs completed (power cut: what must survive).
 */
import type { FileHandle, FileSystem, OpenMode } from '@wq/wal'

export interface FsHooks {
  /** Called before each read with the requested length and the buffer's size. */
  onRead?(length: number, bufferBytes: number): void
  /** Called when a datasync/sync starts; the returned callback runs once it succeeded. */
  onSync?(path: string): (() => void) | void
}

export class HookedFs implements FileSystem {
  constructor(
    private readonly inner: FileSystem,
    private readonly hooks: FsHooks,
  ) {}

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const fh = await this.inner.open(path, mode)
    const hooks = this.hooks
    const synced = (method: 'datasync' | 'sync') => async () => {
      const after = hooks.onSync?.(fh.path)
      await fh[method]()
      after?.()
    }
    const wrapped: FileHandle = {
      path: fh.path,
      read: (buf, offset, length, position) => {
        hooks.onRead?.(length, buf.byteLength)
        return fh.read(buf, offset, length, position)
      },
      write: (buf, offset, length, position) => fh.write(buf, offset, length, position),
      datasync: synced('datasync'),
      sync: synced('sync'),
      truncate: (length) => fh.truncate(length),
      stat: () => fh.stat(),
      tryLock: () => fh.tryLock(),
      unlock: () => fh.unlock(),
      close: () => fh.close(),
    }
    return wrapped
  }
  readdir(dir: string) {
    return this.inner.readdir(dir)
  }
  mkdir(dir: string) {
    return this.inner.mkdir(dir)
  }
  stat(path: string) {
    return this.inner.stat(path)
  }
  rename(from: string, to: string) {
    return this.inner.rename(from, to)
  }
  unlink(path: string) {
    return this.inner.unlink(path)
  }
  fsyncDir(dir: string) {
    return this.inner.fsyncDir(dir)
  }
}
