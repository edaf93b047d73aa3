/**
 * Job data lives in slabs (ArrayBuffers) that jobs point into; a handler's
 * `job.data` is decoded (DataStore.decode) from a whole-slab view kept per slab.
 */
import { describe, expect, it } from 'vitest'
import { decodeValueAt, encodeValue } from '../src/codec/data.js'
import { DataStore, type DataRef } from '../src/state/data-store.js'

const ref = (): DataRef => ({ dataSlab: -1, dataOff: 0, dataLen: 0 })

/** `value` encoded, at `offset` inside a fresh buffer of `size` bytes. */
function placed(value: unknown, offset: number, size = 256): Uint8Array {
  const bytes = encodeValue(value, 1 << 20)
  const buf = new Uint8Array(size)
  buf.set(bytes, offset)
  return buf.subarray(offset, offset + bytes.length)
}

describe('data store slab views', () => {
  it('decode each job from its own offset in a shared slab', () => {
    const store = new DataStore()
    const buf = new Uint8Array(512)
    const a = encodeValue({ n: 1, s: 'first' }, 1 << 20)
    const b = encodeValue(['second', 2], 1 << 20)
    buf.set(a, 10)
    buf.set(b, 200)
    const ra = ref()
    const rb = ref()
    store.retain(ra, buf.subarray(10, 10 + a.length))
    store.retain(rb, buf.subarray(200, 200 + b.length))
    expect(ra.dataSlab).toBe(rb.dataSlab)
    expect(store.decode(ra)).toEqual({ n: 1, s: 'first' })
    expect(store.decode(rb)).toEqual(['second', 2])
  })

  it('a released slab slot reused for another buffer gets a view of the new buffer', () => {
    const store = new DataStore()
    const first = ref()
    store.retain(first, placed('old data', 8))
    expect(store.decode(first)).toBe('old data')
    const slot = first.dataSlab
    store.release(first)
    const second = ref()
    store.retain(second, placed({ fresh: true }, 40))
    expect(second.dataSlab).toBe(slot)
    expect(store.decode(second)).toEqual({ fresh: true })
  })

  it('no data decodes to undefined', () => {
    const store = new DataStore()
    const r = ref()
    store.retain(r, new Uint8Array(0))
    expect(store.decode(r)).toBeUndefined()
    expect(decodeValueAt(new Uint8Array(4), 2, 2)).toBeUndefined()
  })
})
