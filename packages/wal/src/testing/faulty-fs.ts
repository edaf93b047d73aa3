/**
 * Wraps any FileSystem, records every operation in an op log, and injects I/O
 * errors (ENOSPC, EIO, …) at the Nth operation of a kind, once (transient) or
 * from then on (persistent), optionally as a short write first.
 */
import { isZero } from '../frame-scanner.js'
import type { FileHandle, FileStat, FileSystem, OpenMode } from '../fs/file-system.js'
import { fsError } from './fs-error.js'

/** Operation kinds as recorded and matched. `fsync` covers both fsync and fdatasync of files; `fsyncDir` is a directory fsync. */
export type FsOp =
  | 'open'
  | 'close'
  | 'read'
  | 'write'
  | 'fsync'
  | 'truncate'
  | 'stat'
  | 'lock'
  | 'readdir'
  | 'mkdir'
  | 'rename'
  | 'unlink'
  | 'fsyncDir'

export interface OpLogEntry {
  seq: number
  op: FsOp
  path: string
  /** e.g. 'datasync' / 'sync' for fsync, `len@pos` for writes (`len@pos zeros` when every byte is zero: a zero-fill), the target of a rename. */
  detail?: string
  /** Set when this operation was made to fail (or to write short). */
  injected?: string
}

export interface FaultRule {
  op: FsOp
  /** Fail the nth matching operation counted from when the rule was added (1-based). */
  nth: number
  /** Error code to throw. Default 'EIO'. */
  code?: string
  /** Keep failing every later matching operation too. ENOSPC usually is. */
  persistent?: boolean
  /** Only operations whose path contains this string (or matches this RegExp) count. */
  path?: string | RegExp
  /** For writes: the nth write writes half its bytes and reports that (a short write); the next matching write then fails with `code`. */
  short?: boolean
}

interface ActiveRule extends FaultRule {
  seen: number
  triggered: boolean
}

export class FaultyFs implements FileSystem {
  /** Every operation, in order. */
  readonly ops: OpLogEntry[] = []
  private rules: ActiveRule[] = []
  private seq = 0

  constructor(readonly inner: FileSystem) {}

  /** Add a fault. Returns this for chaining. */
  inject(rule: FaultRule): this {
    this.rules.push({ ...rule, seen: 0, triggered: false })
    return this
  }

  /** Remove every fault (the op log is kept). */
  clearFaults(): void {
    this.rules = []
  }

  /** Number of logged operations of `op` (optionally on paths containing `pathPart`). */
  count(op: FsOp, pathPart?: string): number {
    return this.ops.filter((e) => e.op === op && (pathPart === undefined || e.path.includes(pathPart))).length
  }

  /** Decide the fate of one operation: undefined (go ahead), 'short', or an error to throw. */
  check(op: FsOp, path: string, detail?: string): 'short' | undefined {
    const entry: OpLogEntry = { seq: ++this.seq, op, path, detail }
    this.ops.push(entry)
    for (const r of this.rules) {
      if (r.op !== op) continue
      if (r.path !== undefined && !(typeof r.path === 'string' ? path.includes(r.path) : r.path.test(path))) continue
      r.seen++
      const hit = r.seen === r.nth || (r.triggered && (r.persistent || (r.short && r.seen === r.nth + 1)))
      if (!hit) continue
      const code = r.code ?? 'EIO'
      if (r.short && r.seen === r.nth) {
        r.triggered = true
        entry.injected = 'short'
        return 'short'
      }
      r.triggered = true
      entry.injected = code
      throw fsError(code, op, path, 'injected fault')
    }
    return undefined
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    this.check('open', path, mode)
    return new FaultyFile(this, await this.inner.open(path, mode))
  }

  async readdir(dir: string): Promise<string[]> {
    this.check('readdir', dir)
    return this.inner.readdir(dir)
  }

  async mkdir(dir: string): Promise<void> {
    this.check('mkdir', dir)
    return this.inner.mkdir(dir)
  }

  async stat(path: string): Promise<FileStat> {
    this.check('stat', path)
    return this.inner.stat(path)
  }

  async rename(from: string, to: string): Promise<void> {
    this.check('rename', from, to)
    return this.inner.rename(from, to)
  }

  async unlink(path: string): Promise<void> {
    this.check('unlink', path)
    return this.inner.unlink(path)
  }

  async fsyncDir(dir: string): Promise<void> {
    this.check('fsyncDir', dir)
    return this.inner.fsyncDir(dir)
  }
}

class FaultyFile implements FileHandle {
  constructor(
    private readonly owner: FaultyFs,
    private readonly inner: FileHandle,
  ) {}

  get path(): string {
    return this.inner.path
  }

  async read(buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    this.owner.check('read', this.path, `${length}@${position}`)
    return this.inner.read(buf, offset, length, position)
  }

  async write(buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    if (this.owner.check('write', this.path, `${length}@${position}${length > 0 && isZero(buf, offset, offset + length) ? ' zeros' : ''}`) === 'short' && length > 1) {
      return this.inner.write(buf, offset, Math.floor(length / 2), position)
    }
    return this.inner.write(buf, offset, length, position)
  }

  async datasync(): Promise<void> {
    this.owner.check('fsync', this.path, 'datasync')
    return this.inner.datasync()
  }

  async sync(): Promise<void> {
    this.owner.check('fsync', this.path, 'sync')
    return this.inner.sync()
  }

  async truncate(length: number): Promise<void> {
    this.owner.check('truncate', this.path, String(length))
    return this.inner.truncate(length)
  }

  async stat(): Promise<FileStat> {
    this.owner.check('stat', this.path)
    return this.inner.stat()
  }

  async tryLock(): Promise<boolean> {
    this.owner.check('lock', this.path)
    return this.inner.tryLock()
  }

  async unlock(): Promise<void> {
    return this.inner.unlock()
  }

  async close(): Promise<void> {
    this.owner.check('close', this.path)
    return this.inner.close()
  }
}
