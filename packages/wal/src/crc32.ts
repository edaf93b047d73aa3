/**
 * CRC-32 (IEEE 802.3, the polynomial of zlib/gzip), table-driven slicing-by-8.
 *
 * Produces exactly the value of `zlib.crc32(data, seed)`, so the on-disk format
 * does not depend on which implementation computed it. Why not call zlib.crc32?
 * It needs a Uint8Array per call, so checking a small frame inside a large read
 * buffer would allocate a subarray per record; computing over
 * (buffer, offset, length) in place more than doubles replay speed for small
 * records. For large spans the native one is faster, so we switch to it.
 */
import { crc32 as nativeCrc32 } from 'node:zlib'

function makeTables(): Int32Array[] {
  const t0 = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t0[n] = c
  }
  const tables = [t0]
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1]
    const next = new Int32Array(256)
    for (let n = 0; n < 256; n++) next[n] = (prev[n] >>> 8) ^ t0[prev[n] & 0xff]
    tables.push(next)
  }
  return tables
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = makeTables()

/** Spans at least this long go to the native implementation (its per-call cost is then amortised). */
const NATIVE_THRESHOLD = 1024

/**
 * CRC-32 of `length` bytes of `buf` starting at `offset`, continuing from `seed`
 * (a previous CRC value, or any 32-bit salt). Equal to `zlib.crc32(buf.subarray(offset, offset + length), seed)`.
 */
export function crc32(buf: Uint8Array, offset: number, length: number, seed = 0): number {
  if (length >= NATIVE_THRESHOLD) {
    return nativeCrc32(new Uint8Array(buf.buffer, buf.byteOffset + offset, length), seed >>> 0) >>> 0
  }
  let crc = ~seed
  let i = offset
  const end = offset + length
  while (end - i >= 8) {
    const a = crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24))
    crc =
      T7[a & 0xff] ^
      T6[(a >>> 8) & 0xff] ^
      T5[(a >>> 16) & 0xff] ^
      T4[a >>> 24] ^
      T3[buf[i + 4]] ^
      T2[buf[i + 5]] ^
      T1[buf[i + 6]] ^
      T0[buf[i + 7]]
    i += 8
  }
  while (i < end) crc = T0[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8)
  return ~crc >>> 0
}
