/**
 * Frame codec. Every record is one frame, little-endian, padded to 8 bytes:
 *
 *   0      4        8     9      10         16                24
 *   | crc  | length | type | flags | reserved | lsn (u64)      | payload … | zero pad to 8 |
 *
 * - `crc` is CRC-32 over everything after it up to the next frame (rest of the header,
 *   payload and the zero padding, so no bit of a frame goes unchecked), seeded with the segment's random salt so a frame left over from an earlier
 *   file generation never validates in a new one.
 * - `type` 0 is invalid, so zero-filled space reads as "end of log".
 * - 8-byte alignment keeps the length field inside one sector, never torn.
 */
import { crc32 } from './crc32.js'

/** Bytes before the payload. */
export const FRAME_HEADER_BYTES = 24

/**
 * Flag: every byte of this segment before this frame had been fdatasynced
 * before this frame was written. Recovery uses it to tell real corruption
 * (bad bytes that were once durable) from a power cut inside unsynced writes.
 */
export const FLAG_SYNCED_BEFORE = 1

/** Total on-disk size of a frame with a payload of `payloadLength` bytes. */
export function frameSize(payloadLength: number): number {
  return (FRAME_HEADER_BYTES + payloadLength + 7) & ~7
}

const TWO_32 = 0x1_0000_0000

/**
 * Encode one frame into `buf` at `off` (the caller guarantees room for
 * `frameSize(payload.length + tail.length)` bytes). The frame's payload is
 * `payload` followed by `tail`. Returns the frame's size.
 */
export function encodeFrame(
  buf: Buffer,
  off: number,
  payload: Uint8Array,
  type: number,
  flags: number,
  lsn: number,
  salt: number,
  tail: Uint8Array | null = null,
): number {
  const head = payload.length
  const len = tail === null ? head : head + tail.length
  buf.writeUInt32LE(len, off + 4)
  buf[off + 8] = type
  buf[off + 9] = flags
  buf[off + 10] = 0
  buf[off + 11] = 0
  buf.writeUInt32LE(lsn >>> 0, off + 12)
  buf.writeUInt32LE(Math.floor(lsn / TWO_32), off + 16)
  buf.writeUInt32LE(0, off + 20)
  buf.set(payload, off + FRAME_HEADER_BYTES)
  if (tail !== null) buf.set(tail, off + FRAME_HEADER_BYTES + head)
  const end = off + FRAME_HEADER_BYTES + len
  const size = (FRAME_HEADER_BYTES + len + 7) & ~7
  for (let p = end; p < off + size; p++) buf[p] = 0
  buf.writeUInt32LE(crc32(buf, off + 4, size - 4, salt), off)
  return size
}

/** Set or clear flags on an encoded frame and recompute its checksum. */
export function setFrameFlags(buf: Buffer, off: number, flags: number, salt: number): void {
  buf[off + 9] = flags
  const size = frameSize(buf.readUInt32LE(off + 4))
  buf.writeUInt32LE(crc32(buf, off + 4, size - 4, salt), off)
}

/** Read the LSN of the frame at `off`. */
export function frameLsn(buf: Uint8Array, off: number): number {
  return (
    (buf[off + 12] | (buf[off + 13] << 8) | (buf[off + 14] << 16)) +
    buf[off + 15] * 0x100_0000 +
    (buf[off + 16] | (buf[off + 17] << 8) | (buf[off + 18] << 16) | (buf[off + 19] << 24)) * TWO_32
  )
}

/** Read the payload length field of the frame at `off`. */
export function frameLength(buf: Uint8Array, off: number): number {
  return (buf[off + 4] | (buf[off + 5] << 8) | (buf[off + 6] << 16)) + buf[off + 7] * 0x100_0000
}

/** Read the stored checksum of the frame at `off`. */
export function frameStoredCrc(buf: Uint8Array, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16)) + buf[off + 3] * 0x100_0000
}

/** True when the frame's stored checksum matches its contents (the whole frame must be in `buf`). */
export function frameChecksumOk(buf: Uint8Array, off: number, length: number, salt: number): boolean {
  return crc32(buf, off + 4, frameSize(length) - 4, salt) === frameStoredCrc(buf, off)
}
