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

/** Files larger than this are read in parallel pieces of this size. */
const READ_PIECE = 8 * 1024 * 1024
const READS_IN_FLIGHT = 4

/**
 * Read a whole file. A large one is read in pieces, several at once: reading a 100 MB snapshot is mostly the
 * kernel faulting fresh pages in (355 ms in one read on this VM), and parallel pieces share that over the
 * thread pool (205 ms) while the event loop has nothing else to do. Stops at end of file if it is shorter than
 * its size said.
 */
export async function readWholeFile(fs: FileSystem, path: string): Promise<Buffer> {
  const fh = await fs.open(path, 'read')
  try {
    const size = (await fh.stat()).size
    const buf = Buffer.allocUnsafe(size)
    let end = size // lowered to where a piece met end of file
    const readPiece = async (from: number, to: number): Promise<void> => {
      const n = await readFully(fh, buf, from, to - from, from)
      if (n < to - from) end = Math.min(end, from + n)
    }
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < size) {
        const from = next
        const to = Math.min(size, from + READ_PIECE)
        next = to
        await readPiece(from, to)
      }
    }
    // Every read settles before the file is closed (a read still running on a closed descriptor could land on a reused one).
    const results = await Promise.allSettled(Array.from({ length: Math.min(READS_IN_FLIGHT, Math.ceil(size / READ_PIECE)) }, worker))
    for (const r of results) if (r.status === 'rejected') throw r.reason
    return end === size ? buf : buf.subarray(0, end)
  } finally {
    await fh.close()
  }
}

/**
 * The bytes of the file at `path` from offset `from` to its end. Recovery and verify read a segment's tail
 * this way: after a crash in `sync` mode that tail is a few MiB of zeros at the end of a segment of up to
 * 64 MiB, and reading the whole segment to look at it doubled the work.
 */
export async function readFileFrom(fs: FileSystem, path: string, from: number): Promise<Buffer> {
  const fh = await fs.open(path, 'read')
  try {
    const size = (await fh.stat()).size
    const buf = Buffer.allocUnsafe(Math.max(0, size - from))
    const n = await readFully(fh, buf, 0, buf.length, from)
    return buf.subarray(0, n)
  } finally {
    await fh.close()
  }
}

/**
 * Read `length` bytes at `position` into `buf[offset..]`, looping on short reads. Resolves with the count,
 * which is less than `length` only where the file ends.
 */
export async function readFully(fh: FileHandle, buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  let got = 0
  while (got < length) {
    const n = await fh.read(buf, offset + got, length - got, position + got)
    if (n === 0) break
    got += n
  }
  return got
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
