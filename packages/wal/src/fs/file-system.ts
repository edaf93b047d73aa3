/**
 * The file-system layer the WAL talks to. Everything the log does to disk goes
 * through this interface so tests can swap in `MemoryFs` (power-loss images) or
 * `FaultyFs` (ENOSPC/EIO at the Nth operation). The real one is `nodeFs`.
 *
 * Errors must be thrown as Node does (objects with a string `code` such as
 * 'ENOENT', 'ENOSPC', 'EIO').
 */

/**
 * - `read`: read-only, must exist.
 * - `readwrite`: read-write, must exist.
 * - `create`: read-write, created if missing, never truncated.
 * - `truncate`: read-write, created if missing, truncated to 0.
 * - `exclusive`: read-write, created; fails with EEXIST if it exists.
 */
export type OpenMode = 'read' | 'readwrite' | 'create' | 'truncate' | 'exclusive'

export interface FileStat {
  size: number
  mtime: Date
  isDirectory: boolean
}

/** An open file. Positional I/O only: there is no implicit file position. */
export interface FileHandle {
  readonly path: string
  /** Read up to `length` bytes at `position` into `buf[offset..]`; resolves with the count (0 at EOF). */
  read(buf: Uint8Array, offset: number, length: number, position: number): Promise<number>
  /** Write up to `length` bytes; resolves with the count actually written (may be short). */
  write(buf: Uint8Array, offset: number, length: number, position: number): Promise<number>
  /** fdatasync. */
  datasync(): Promise<void>
  /** fsync (data and metadata). */
  sync(): Promise<void>
  truncate(length: number): Promise<void>
  stat(): Promise<FileStat>
  /** Non-blocking exclusive advisory lock (flock LOCK_EX|LOCK_NB); false when someone else holds it. */
  tryLock(): Promise<boolean>
  unlock(): Promise<void>
  close(): Promise<void>
}

export interface FileSystem {
  open(path: string, mode: OpenMode): Promise<FileHandle>
  /** Names (not paths) in `dir`. */
  readdir(dir: string): Promise<string[]>
  /** mkdir -p. */
  mkdir(dir: string): Promise<void>
  stat(path: string): Promise<FileStat>
  rename(from: string, to: string): Promise<void>
  unlink(path: string): Promise<void>
  /** fsync a directory, making creations, renames and unlinks in it durable. */
  fsyncDir(dir: string): Promise<void>
}

/** Read a whole file. */
export async function readWholeFile(fs: FileSystem, path: string): Promise<Buffer> {
  const fh = await fs.open(path, 'read')
  try {
    const size = (await fh.stat()).size
    const buf = Buffer.allocUnsafe(size)
    let done = 0
    while (done < size) {
      const n = await fh.read(buf, done, size - done, done)
      if (n === 0) break
      done += n
    }
    return done === size ? buf : buf.subarray(0, done)
  } finally {
    await fh.close()
  }
}

/** Write all of `buf[offset..offset+length)` at `position`, looping on short writes. */
export async function writeFully(fh: FileHandle, buf: Uint8Array, offset: number, length: number, position: number): Promise<void> {
  while (length > 0) {
    const n = await fh.write(buf, offset, length, position)
    if (n <= 0) throw Object.assign(new Error(`EIO: write made no progress on ${fh.path}`), { code: 'EIO' })
    offset += n
    position += n
    length -= n
  }
}
