/**
 * Snapshots: `snapshot-<lsn 20 digits>.snap`, written atomically (temp file,
 * fsync, rename, fsync dir) so a crash leaves either the old set or the new one.
 *
 *   0        8         12         16         24            32              40         44          48
 *   | magic  | version | reserved | lsn u64  | bodyLen u64 | createdAt u64 | bodyCrc  | headerCrc | body …
 *
 * `magic` is "WQSNAP01"; headerCrc covers bytes 0..44; bodyCrc is CRC-32 of the body.
 */
import { crc32 } from './crc32.js'
import type { FileHandle, FileSystem } from './fs/file-system.js'
import { readFully, readWholeFile, writeFully } from './fs/file-system.js'
import { groupListing, joinPath, snapshotFileName } from './segment-name.js'
import type { Snapshot, SnapshotInfo, WalLogger } from './types.js'

export const SNAPSHOT_HEADER_BYTES = 48
const MAGIC = 'WQSNAP01'
const VERSION = 1
const TWO_32 = 0x1_0000_0000

function writeU64(buf: Buffer, v: number, off: number): void {
  buf.writeUInt32LE(v >>> 0, off)
  buf.writeUInt32LE(Math.floor(v / TWO_32), off + 4)
}
const readU64 = (buf: Buffer, off: number) => buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * TWO_32

function crcOfParts(parts: Uint8Array[]): number {
  let crc = 0
  for (const p of parts) crc = crc32(p, 0, p.length, crc)
  return crc
}

/** Parts are gathered into writes of up to this many bytes. */
const WRITE_BYTES = 1 << 20

/**
 * Write `parts` back to back from offset 0. A snapshot can hold one small part per job (a view of its data), and a
 * write per part costs a thread-pool round trip each, paid on the event loop while jobs run: so small parts are
 * copied into writes of up to 1 MiB, and only large parts go out as they are.
 */
async function writeParts(fh: FileHandle, parts: Uint8Array[]): Promise<void> {
  let pos = 0
  let staging: Buffer | null = null
  let used = 0
  const flush = async (): Promise<void> => {
    if (used === 0) return
    await writeFully(fh, staging!, 0, used, pos)
    pos += used
    used = 0
  }
  for (const p of parts) {
    if (p.length >= WRITE_BYTES / 4) {
      await flush()
      await writeFully(fh, p, 0, p.length, pos)
      pos += p.length
      continue
    }
    if (used + p.length > WRITE_BYTES) await flush()
    staging ??= Buffer.allocUnsafe(WRITE_BYTES)
    staging.set(p, used)
    used += p.length
  }
  await flush()
}

/** What a snapshot's header says, once it has been checked against the file it is in. */
interface SnapshotHeader {
  lsn: number
  bodyLen: number
  createdAt: Date
  bodyCrc: number
}

/** Check a snapshot's header (`header` holds at least its first SNAPSHOT_HEADER_BYTES bytes); a string says what is wrong. */
function checkHeader(name: string, expectedLsn: number, header: Buffer, fileBytes: number): SnapshotHeader | string {
  if (fileBytes < SNAPSHOT_HEADER_BYTES) return 'snapshot shorter than its header'
  if (header.toString('latin1', 0, 8) !== MAGIC) return 'bad snapshot magic'
  if (crc32(header, 0, 44) !== header.readUInt32LE(44)) return 'snapshot header checksum mismatch'
  if (header.readUInt32LE(8) !== VERSION) return `unsupported snapshot version ${header.readUInt32LE(8)}`
  const lsn = readU64(header, 16)
  if (lsn !== expectedLsn) return `snapshot header LSN ${lsn} disagrees with its name ${name}`
  const bodyLen = readU64(header, 24)
  if (bodyLen !== fileBytes - SNAPSHOT_HEADER_BYTES) return `snapshot body is ${fileBytes - SNAPSHOT_HEADER_BYTES} bytes, header says ${bodyLen}`
  return { lsn, bodyLen, createdAt: new Date(readU64(header, 32)), bodyCrc: header.readUInt32LE(40) }
}

const BODY_CRC_MISMATCH = 'snapshot body checksum mismatch'

/** Parse and check a snapshot file's bytes; a string says what is wrong. */
export function decodeSnapshot(name: string, path: string, expectedLsn: number, bytes: Buffer): Snapshot | string {
  const h = checkHeader(name, expectedLsn, bytes, bytes.length)
  if (typeof h === 'string') return h
  const data = bytes.subarray(SNAPSHOT_HEADER_BYTES)
  if (crc32(data, 0, data.length) !== h.bodyCrc) return BODY_CRC_MISMATCH
  return { file: path, lsn: h.lsn, bytes: bytes.length, createdAt: h.createdAt, data }
}

/**
 * A snapshot is checked (not loaded) through a buffer of this size: compaction only needs to know the newest
 * snapshot is sound before deleting the segments it covers, and reading it whole cost as much memory as the
 * snapshot (256 MB extra RSS after each automatic snapshot of a 4 KiB-job backlog).
 */
const CHECK_PIECE = 1 << 20

export class SnapshotStore {
  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly logger?: WalLogger,
  ) {}

  /** Write a snapshot covering every record up to `lsn`. */
  async write(lsn: number, data: Uint8Array | Uint8Array[]): Promise<SnapshotInfo> {
    const parts = Array.isArray(data) ? data : [data]
    const bodyLen = parts.reduce((n, p) => n + p.length, 0)
    const createdAt = new Date()
    const header = Buffer.alloc(SNAPSHOT_HEADER_BYTES)
    header.write(MAGIC, 0, 'latin1')
    header.writeUInt32LE(VERSION, 8)
    writeU64(header, lsn, 16)
    writeU64(header, bodyLen, 24)
    writeU64(header, createdAt.getTime(), 32)
    header.writeUInt32LE(crcOfParts(parts), 40)
    header.writeUInt32LE(crc32(header, 0, 44), 44)
    const path = joinPath(this.dir, snapshotFileName(lsn))
    const tmp = `${path}.tmp`
    const fh: FileHandle = await this.fs.open(tmp, 'truncate')
    try {
      await writeParts(fh, [header, ...parts])
      await fh.sync()
    } catch (err) {
      await fh.close().catch(() => {})
      await this.fs.unlink(tmp).catch(() => {})
      throw err
    }
    await fh.close()
    await this.fs.rename(tmp, path)
    await this.fs.fsyncDir(this.dir)
    return { file: path, lsn, bytes: SNAPSHOT_HEADER_BYTES + bodyLen, createdAt }
  }

  /** Snapshot files present, oldest first (not validated: see latest()). */
  async list(): Promise<SnapshotInfo[]> {
    const listing = groupListing(await this.fs.readdir(this.dir))
    const out: SnapshotInfo[] = []
    for (const s of listing.snapshots) {
      const path = joinPath(this.dir, s.name)
      try {
        const st = await this.fs.stat(path)
        out.push({ file: path, lsn: s.lsn, bytes: st.size, createdAt: await this.createdAt(path, st.mtime) })
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
    return out
  }

  private async createdAt(path: string, fallback: Date): Promise<Date> {
    const fh = await this.fs.open(path, 'read')
    try {
      const buf = Buffer.alloc(SNAPSHOT_HEADER_BYTES)
      const n = await readFully(fh, buf, 0, buf.length, 0)
      if (n === SNAPSHOT_HEADER_BYTES && buf.toString('latin1', 0, 8) === MAGIC && crc32(buf, 0, 44) === buf.readUInt32LE(44)) return new Date(readU64(buf, 32))
      return fallback
    } finally {
      await fh.close()
    }
  }

  /** Read and check one snapshot. */
  async load(lsn: number): Promise<Snapshot | string> {
    const name = snapshotFileName(lsn)
    const path = joinPath(this.dir, name)
    return decodeSnapshot(name, path, lsn, await readWholeFile(this.fs, path))
  }

  /** Check one snapshot as load() does, but hold at most CHECK_PIECE bytes of it at a time. */
  async check(lsn: number): Promise<SnapshotInfo | string> {
    const name = snapshotFileName(lsn)
    const path = joinPath(this.dir, name)
    const fh = await this.fs.open(path, 'read')
    try {
      const size = (await fh.stat()).size
      const buf = Buffer.allocUnsafe(Math.min(CHECK_PIECE, Math.max(size, SNAPSHOT_HEADER_BYTES)))
      const headerBytes = await readFully(fh, buf, 0, Math.min(size, SNAPSHOT_HEADER_BYTES), 0)
      const h = checkHeader(name, lsn, buf, headerBytes < SNAPSHOT_HEADER_BYTES ? headerBytes : size)
      if (typeof h === 'string') return h
      let crc = 0
      for (let at = SNAPSHOT_HEADER_BYTES; at < size;) {
        const n = await readFully(fh, buf, 0, Math.min(buf.length, size - at), at)
        if (n === 0) return `snapshot body is ${at - SNAPSHOT_HEADER_BYTES} bytes, header says ${h.bodyLen}`
        crc = crc32(buf, 0, n, crc)
        at += n
      }
      if (crc !== h.bodyCrc) return BODY_CRC_MISMATCH
      return { file: path, lsn, bytes: size, createdAt: h.createdAt }
    } finally {
      await fh.close()
    }
  }

  /**
   * The newest valid snapshot. With `setAside`, an invalid newer one is renamed
   * to `*.corrupt` (and the directory fsynced) so it is not tried again;
   * either way the fall-back is logged (warn).
   */
  latest(setAside: boolean): Promise<Snapshot | null> {
    return this.newestValid(setAside, (lsn) => this.load(lsn))
  }

  /** Like latest(), without keeping the snapshot's bytes: what compaction needs. */
  latestInfo(setAside: boolean): Promise<SnapshotInfo | null> {
    return this.newestValid(setAside, (lsn) => this.check(lsn))
  }

  private async newestValid<T extends SnapshotInfo>(setAside: boolean, open: (lsn: number) => Promise<T | string>): Promise<T | null> {
    const all = await this.list()
    for (let i = all.length - 1; i >= 0; i--) {
      const info = all[i]
      let snap: T | string
      try {
        snap = await open(info.lsn)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw err
      }
      if (typeof snap !== 'string') return snap
      this.logger?.warn({ file: info.file, reason: snap, setAside }, 'WAL snapshot is corrupt; falling back to an older one')
      if (setAside) {
        await this.fs.rename(info.file, `${info.file}.corrupt`)
        await this.fs.fsyncDir(this.dir)
      }
    }
    return null
  }

  async remove(files: string[]): Promise<void> {
    for (const f of files) await this.fs.unlink(f)
  }
}
