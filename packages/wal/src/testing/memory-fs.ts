/**
 * An in-memory FileSystem that remembers what has been made durable, so a
 * test can take the image a power cut would leave behind:
 *
 * - file contents: what the last fsync/fdatasync of the file saw, plus each
 *   write/truncate since then kept, dropped, garbled or torn (per `crash()`);
 * - directory entries: as of the last fsync of that directory, so files created,
 *   renamed or unlinked since are back to their old names (or gone).
 *
 * Locks behave like flock: per open handle, exclusive, released on close.
 */
import path from 'node:path'
import type { FileHandle, FileStat, FileSystem, OpenMode } from '../fs/file-system.js'
import { fsError } from './fs-error.js'
import { prng } from './prng.js'

type PendingOp = { kind: 'write'; offset: number; bytes: Buffer } | { kind: 'truncate'; length: number }

class Inode {
  data: Buffer
  size: number
  /** Content as of the last fsync: synced[0, syncedSize). Grown in place so an fsync costs what was written since the last one. */
  synced: Buffer
  syncedSize: number
  /** Writes and truncates since the last fsync, in order. */
  pending: PendingOp[] = []
  mtime = new Date()
  lockedBy: MemoryFile | null = null

  constructor(content: Buffer = Buffer.alloc(0)) {
    this.data = Buffer.from(content)
    this.size = content.length
    this.synced = Buffer.from(content)
    this.syncedSize = content.length
  }

  content(): Buffer {
    return this.data.subarray(0, this.size)
  }

  syncedContent(): Buffer {
    return this.synced.subarray(0, this.syncedSize)
  }

  ensure(size: number): void {
    if (size <= this.data.length) return
    const next = Buffer.alloc(Math.max(size, this.data.length * 2, 4096))
    this.data.copy(next, 0, 0, this.size)
    this.data = next
  }

  write(src: Uint8Array, position: number): void {
    this.ensure(position + src.length)
    if (position > this.size) this.data.fill(0, this.size, position)
    this.data.set(src, position)
    this.size = Math.max(this.size, position + src.length)
    this.pending.push({ kind: 'write', offset: position, bytes: Buffer.from(src) })
    this.mtime = new Date()
  }

  truncate(length: number): void {
    if (length > this.size) {
      this.ensure(length)
      this.data.fill(0, this.size, length)
    }
    this.size = length
    this.pending.push({ kind: 'truncate', length })
    this.mtime = new Date()
  }

  sync(): void {
    if (this.synced.length < this.size) {
      const next = Buffer.alloc(Math.max(this.size, this.synced.length * 2, 4096))
      this.synced.copy(next, 0, 0, this.syncedSize)
      this.synced = next
    }
    // Only what changed since the last sync needs copying: the pending ops' ranges.
    let lo = Infinity
    for (const op of this.pending) lo = Math.min(lo, op.kind === 'write' ? op.offset : Math.min(op.length, this.syncedSize))
    if (lo < this.size) this.data.copy(this.synced, lo, lo, this.size)
    this.syncedSize = this.size
    this.pending = []
  }

  /** Replace the content as if durably written (tests corrupting images). */
  replace(content: Uint8Array): void {
    this.data = Buffer.from(content)
    this.size = content.length
    this.synced = Buffer.from(content)
    this.syncedSize = content.length
    this.pending = []
  }
}

/** What happens to each write made since its file's last fsync when the power goes. */
export type UnsyncedFate = 'drop' | 'keep' | 'garble' | 'random'

export interface CrashOptions {
  unsynced: UnsyncedFate
  /** Seed for garbling and for 'random' choices. Default 1. */
  seed?: number
}

function applyOp(img: Buffer, op: PendingOp): Buffer {
  if (op.kind === 'truncate') {
    if (op.length <= img.length) return img.subarray(0, op.length)
    return Buffer.concat([img, Buffer.alloc(op.length - img.length)])
  }
  const end = op.offset + op.bytes.length
  const out = end > img.length ? Buffer.concat([img, Buffer.alloc(end - img.length)]) : img
  op.bytes.copy(out, op.offset)
  return out
}

class MemoryFile implements FileHandle {
  closed = false
  constructor(
    readonly path: string,
    private readonly inode: Inode,
    private readonly writable: boolean,
  ) {}

  private check(syscall: string, write = false): void {
    if (this.closed) throw fsError('EBADF', syscall, this.path, 'file is closed')
    if (write && !this.writable) throw fsError('EBADF', syscall, this.path, 'not open for writing')
  }

  async read(buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    this.check('read')
    const n = Math.max(0, Math.min(length, this.inode.size - position))
    if (n > 0) buf.set(this.inode.data.subarray(position, position + n), offset)
    return n
  }

  async write(buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    this.check('write', true)
    this.inode.write(buf.subarray(offset, offset + length), position)
    return length
  }

  async datasync(): Promise<void> {
    this.check('fdatasync')
    this.inode.sync()
  }

  async sync(): Promise<void> {
    this.check('fsync')
    this.inode.sync()
  }

  async truncate(length: number): Promise<void> {
    this.check('ftruncate', true)
    this.inode.truncate(length)
  }

  async stat(): Promise<FileStat> {
    this.check('fstat')
    return { size: this.inode.size, mtime: this.inode.mtime, isDirectory: false }
  }

  async tryLock(): Promise<boolean> {
    this.check('flock')
    if (this.inode.lockedBy && this.inode.lockedBy !== this && !this.inode.lockedBy.closed) return false
    this.inode.lockedBy = this
    return true
  }

  async unlock(): Promise<void> {
    if (this.inode.lockedBy === this) this.inode.lockedBy = null
  }

  async close(): Promise<void> {
    this.check('close')
    await this.unlock()
    this.closed = true
  }
}

export class MemoryFs implements FileSystem {
  private readonly files = new Map<string, Inode>()
  /** Directory entries as of each directory's last fsync. */
  private readonly durable = new Map<string, Inode>()
  private readonly dirs = new Set<string>(['/'])

  private norm(p: string): string {
    return path.resolve('/', p)
  }

  async open(p: string, mode: OpenMode): Promise<FileHandle> {
    const file = this.norm(p)
    if (!this.dirs.has(path.dirname(file))) throw fsError('ENOENT', 'open', p, 'no such directory')
    let inode = this.files.get(file)
    if (mode === 'exclusive' && inode) throw fsError('EEXIST', 'open', p, 'file already exists')
    if (!inode) {
      if (mode === 'read' || mode === 'readwrite') throw fsError('ENOENT', 'open', p, 'no such file or directory')
      inode = new Inode()
      this.files.set(file, inode)
    } else if (mode === 'truncate') {
      inode.truncate(0)
    }
    return new MemoryFile(p, inode, mode !== 'read')
  }

  async readdir(dir: string): Promise<string[]> {
    const d = this.norm(dir)
    if (!this.dirs.has(d)) throw fsError('ENOENT', 'scandir', dir, 'no such file or directory')
    const out: string[] = []
    for (const f of this.files.keys()) if (path.dirname(f) === d) out.push(path.basename(f))
    for (const sub of this.dirs) if (sub !== d && path.dirname(sub) === d) out.push(path.basename(sub))
    return out.sort()
  }

  async mkdir(dir: string): Promise<void> {
    let d = this.norm(dir)
    while (!this.dirs.has(d)) {
      if (this.files.has(d)) throw fsError('EEXIST', 'mkdir', dir, 'a file is in the way')
      this.dirs.add(d)
      d = path.dirname(d)
    }
  }

  async stat(p: string): Promise<FileStat> {
    const f = this.norm(p)
    if (this.dirs.has(f)) return { size: 0, mtime: new Date(0), isDirectory: true }
    const inode = this.files.get(f)
    if (!inode) throw fsError('ENOENT', 'stat', p, 'no such file or directory')
    return { size: inode.size, mtime: inode.mtime, isDirectory: false }
  }

  async rename(from: string, to: string): Promise<void> {
    const a = this.norm(from)
    const inode = this.files.get(a)
    if (!inode) throw fsError('ENOENT', 'rename', from, 'no such file or directory')
    this.files.delete(a)
    this.files.set(this.norm(to), inode)
  }

  async unlink(p: string): Promise<void> {
    const f = this.norm(p)
    if (!this.files.delete(f)) throw fsError('ENOENT', 'unlink', p, 'no such file or directory')
  }

  async fsyncDir(dir: string): Promise<void> {
    const d = this.norm(dir)
    if (!this.dirs.has(d)) throw fsError('ENOENT', 'fsync', dir, 'no such directory')
    for (const f of [...this.durable.keys()]) if (path.dirname(f) === d) this.durable.delete(f)
    for (const [f, inode] of this.files) if (path.dirname(f) === d) this.durable.set(f, inode)
  }

  // ---- test helpers -------------------------------------------------------

  /** Current bytes of a file (a copy). */
  bytes(p: string): Buffer {
    const inode = this.files.get(this.norm(p))
    if (!inode) throw fsError('ENOENT', 'read', p)
    return Buffer.from(inode.content())
  }

  /** Replace a file's bytes, as if durably (for corrupting images in tests). */
  setBytes(p: string, content: Uint8Array): void {
    const inode = this.files.get(this.norm(p))
    if (!inode) throw fsError('ENOENT', 'write', p)
    inode.replace(content)
  }

  /** Paths of all files, sorted. */
  list(): string[] {
    return [...this.files.keys()].sort()
  }

  /**
   * The image a power cut would leave now, as a new MemoryFs (this one is not
   * changed). Directory entries revert to their last directory fsync; each
   * file's unsynced writes are dropped, kept, garbled (same length, random
   * bytes) or, with 'random', each one independently kept, dropped, garbled or
   * torn (only a 512-byte-aligned prefix persists).
   */
  crash(opts: CrashOptions): MemoryFs {
    const rnd = prng(opts.seed ?? 1)
    const out = new MemoryFs()
    for (const d of this.dirs) out.dirs.add(d)
    const images = new Map<Inode, Inode>()
    for (const [f, inode] of this.durable) {
      let img = images.get(inode)
      if (!img) {
        img = new Inode(this.imageAfterCrash(inode, opts.unsynced, rnd))
        images.set(inode, img)
      }
      out.files.set(f, img)
      out.durable.set(f, img)
    }
    return out
  }

  private imageAfterCrash(inode: Inode, fate: UnsyncedFate, rnd: () => number): Buffer {
    let img: Buffer = Buffer.from(inode.syncedContent())
    for (const op of inode.pending) {
      let choice = fate
      if (choice === 'random') {
        const r = rnd()
        if (op.kind === 'write' && r < 0.25) {
          const keep = Math.floor((rnd() * op.bytes.length) / 512) * 512
          img = applyOp(img, { kind: 'write', offset: op.offset, bytes: op.bytes.subarray(0, keep) })
          continue
        }
        choice = r < 0.5 ? 'keep' : r < 0.75 ? 'drop' : 'garble'
      }
      if (choice === 'drop') continue
      if (choice === 'garble' && op.kind === 'write') {
        const junk = Buffer.alloc(op.bytes.length)
        for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rnd() * 256)
        img = applyOp(img, { kind: 'write', offset: op.offset, bytes: junk })
        continue
      }
      img = applyOp(img, op)
    }
    return Buffer.from(img)
  }
}
