import { crc32 as zlibCrc32 } from 'node:zlib'
import { expect, it } from 'vitest'
import { crc32 } from '../src/crc32.js'

it('crc32 over (buffer, offset, length, seed) equals zlib.crc32 of that span, below and above the native threshold', () => {
  const buf = new Uint8Array(70_000)
  let x = 0x9e3779b9
  for (let i = 0; i < buf.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    buf[i] = x & 0xff
  }
  const lengths = [0, 1, 7, 8, 9, 63, 100, 191, 255, 256, 257, 1023, 1024, 4096, 4200, 65_536]
  for (const length of lengths) {
    for (const offset of [0, 1, 3, 4093]) {
      for (const seed of [0, 1, 0x7fffffff, 0xdeadbeef]) {
        const expected = zlibCrc32(buf.subarray(offset, offset + length), seed)
        expect(crc32(buf, offset, length, seed)).toBe(expected)
      }
    }
  }
  // A span inside a view that does not start at its buffer's first byte.
  const view = new Uint8Array(buf.buffer, 500, 10_000)
  expect(crc32(view, 10, 5_000, 42)).toBe(zlibCrc32(buf.subarray(510, 5_510), 42))
})
