/**
 * Segment files: what we know about each one, reading its header, and
 * publishing a new one durably (temp file with header, fsync, rename, fsync dir).
 */
import type { FileHandle, FileSystem } from './fs/file-system.js'
import { readFully, writeFully } from './fs/file-system.js'
import { SEGMENT_HEADER_BYTES, decodeSegmentHeader, encodeSegmentHeader, type SegmentHeader } from './segment-header.js'
import { joinPath, segmentFileName } from './segment-name.js'
import type { SegmentInfo } from './types.js'

/** In-memory state of one segment. `bytes` is the offset after its last whole frame. */
export interface SegmentState {
  name: string
  path: string
  segmentId: number
  firstLsn: number
  /** firstLsn - 1 while empty. */
  lastLsn: number
  bytes: number
  salt: number
  prevLastLsn: number
}

export function toSegmentInfo(s: SegmentState): SegmentInfo {
  return { file: s.path, segmentId: s.segmentId, firstLsn: s.firstLsn, lastLsn: s.lastLsn, bytes: s.bytes }
}

/** Read and check a segment header; a string says what is wrong with it. */
export async function readSegmentHeader(fh: FileHandle): Promise<SegmentHeader | string> {
  const buf = Buffer.alloc(SEGMENT_HEADER_BYTES)
  const got = await readFully(fh, buf, 0, SEGMENT_HEADER_BYTES, 0)
  return decodeSegmentHeader(buf.subarray(0, got))
}

/** Thrown by createSegment when the failure came after the rename (the directory state is uncertain: poison). */
export class SegmentPublishError extends Error {
  constructor(cause: unknown) {
    super('segment publish failed after rename', { cause })
  }
}

/**
 * Create a segment durably: `<name>.tmp` with the header, fsync, rename, fsync
 * the directory. Returns the open handle (read-write) and its state. Failures
 * before the rename leave no trace (the temp file is removed); failures after
 * it are wrapped in SegmentPublishError.
 */
export async function createSegment(fs: FileSystem, dir: string, header: SegmentHeader): Promise<{ fh: FileHandle; state: SegmentState }> {
  const name = segmentFileName(header.firstLsn, header.segmentId)
  const path = joinPath(dir, name)
  const tmp = `${path}.tmp`
  let fh: FileHandle | null = null
  try {
    fh = await fs.open(tmp, 'truncate')
    const bytes = encodeSegmentHeader(header)
    await writeFully(fh, bytes, 0, bytes.length, 0)
    await fh.sync()
    await fs.rename(tmp, path)
  } catch (err) {
    if (fh) await fh.close().catch(() => {})
    await fs.unlink(tmp).catch(() => {})
    throw err
  }
  await fh.close().catch(() => {})
  try {
    await fs.fsyncDir(dir)
    // Reopen under the final name so the handle (and any op log) names the real file.
    fh = await fs.open(path, 'readwrite')
  } catch (err) {
    throw new SegmentPublishError(err)
  }
  return {
    fh,
    state: {
      name,
      path,
      segmentId: header.segmentId,
      firstLsn: header.firstLsn,
      lastLsn: header.firstLsn - 1,
      bytes: SEGMENT_HEADER_BYTES,
      salt: header.salt,
      prevLastLsn: header.prevLastLsn,
    },
  }
}
