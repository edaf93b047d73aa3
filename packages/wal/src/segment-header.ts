/**
 * Segment header: the first 64 bytes of every segment file, written and
 * fsynced (as a temp file, then renamed) before the first record.
 *
 *   0         8         12           16              24                   32     36         60      64
 *   | magic   | version | segmentId  | firstLsn u64  | prevLastLsn u64    | salt | reserved  | crc   |
 *
 * `magic` is "WQWALSEG"; `crc` is CRC-32 of bytes 0..60. `prevLastLsn` (the last
 * LSN of the previous segment) lets a missing segment be detected; `salt` seeds
 * every frame checksum in this segment.
 */
import { randomBytes } from 'node:crypto'
import { crc32 } from './crc32.js'

export const SEGMENT_HEADER_BYTES = 64
export const SEGMENT_MAGIC = 'WQWALSEG'
export const SEGMENT_FORMAT_VERSION = 1

export interface SegmentHeader {
  segmentId: number
  firstLsn: number
  prevLastLsn: number
  salt: number
}

const TWO_32 = 0x1_0000_0000

function writeU64(buf: Buffer, value: number, off: number): void {
  buf.writeUInt32LE(value >>> 0, off)
  buf.writeUInt32LE(Math.floor(value / TWO_32), off + 4)
}

function readU64(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * TWO_32
}

/** A fresh random 32-bit salt. */
export function newSalt(): number {
  return randomBytes(4).readUInt32LE(0)
}

export function encodeSegmentHeader(h: SegmentHeader): Buffer {
  const buf = Buffer.alloc(SEGMENT_HEADER_BYTES)
  buf.write(SEGMENT_MAGIC, 0, 'latin1')
  buf.writeUInt32LE(SEGMENT_FORMAT_VERSION, 8)
  buf.writeUInt32LE(h.segmentId, 12)
  writeU64(buf, h.firstLsn, 16)
  writeU64(buf, h.prevLastLsn, 24)
  buf.writeUInt32LE(h.salt >>> 0, 32)
  buf.writeUInt32LE(crc32(buf, 0, 60), 60)
  return buf
}

/** Decode a header, or return a string saying which check failed. */
export function decodeSegmentHeader(buf: Buffer): SegmentHeader | string {
  if (buf.length < SEGMENT_HEADER_BYTES) return `segment header truncated (${buf.length} of ${SEGMENT_HEADER_BYTES} bytes)`
  if (buf.toString('latin1', 0, 8) !== SEGMENT_MAGIC) return 'bad segment magic'
  if (buf.readUInt32LE(60) !== crc32(buf, 0, 60)) return 'segment header checksum mismatch'
  const version = buf.readUInt32LE(8)
  if (version !== SEGMENT_FORMAT_VERSION) return `unsupported segment format version ${version}`
  return {
    segmentId: buf.readUInt32LE(12),
    firstLsn: readU64(buf, 16),
    prevLastLsn: readU64(buf, 24),
    salt: buf.readUInt32LE(32),
  }
}
