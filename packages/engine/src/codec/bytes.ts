/**
 * Byte-level writer and reader for WAL events and snapshots.
 *
 * The writer appends into large slabs and hands out views (`subarray`) of
 * them. A slab is never rewritten, so a view handed to the WAL or kept as a
 * job's data stays valid for as long as anyone references it; the GC frees a
 * slab once no view into it is left. This gives one copy per event and no
 * per-event buffer allocation.
 */
const SLAB_BYTES = 512 * 1024
const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()
const EMPTY = new Uint8Array(0)

/**
 * Slabs are not zero-filled: only bytes written are ever read back. `allocUnsafeSlow`
 * skips the zeroing and lets malloc hand back memory freed by earlier slabs, where
 * a zero-filled array would take fresh pages (a page fault per 4 KiB) for every slab.
 */
function newSlab(bytes: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(bytes)
  return new Uint8Array(b.buffer, b.byteOffset, b.length)
}

export class SlabWriter {
  private slab: Uint8Array = newSlab(SLAB_BYTES)
  private view = new DataView(this.slab.buffer)
  private pos = 0
  private start = 0

  /** Start a new record. */
  begin(): void {
    this.start = this.pos
  }

  /** The bytes written since `begin()`, as a view that will never be overwritten. */
  end(): Uint8Array {
    // A plain Uint8Array view: cheaper to create than Buffer#subarray.
    const view = new Uint8Array(this.slab.buffer, this.start, this.pos - this.start)
    this.start = this.pos
    return view
  }

  /** Bytes written since `begin()`. */
  get length(): number {
    return this.pos - this.start
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.slab.length) return
    // Move the partial record into a fresh slab big enough for it.
    const partial = this.pos - this.start
    const next = newSlab(Math.max(SLAB_BYTES, (partial + n) * 2))
    next.set(this.slab.subarray(this.start, this.pos), 0)
    this.slab = next
    this.view = new DataView(next.buffer)
    this.start = 0
    this.pos = partial
  }

  u8(v: number): void {
    this.ensure(1)
    this.slab[this.pos++] = v
  }

  /** Unsigned integer up to 2^53, 7 bits per byte. */
  uint(v: number): void {
    // A negative, fractional, NaN or unsafe value would be written as bytes that read back as another number (or
    // never be done with, for Infinity): refuse it before a byte is written. Options are checked where they enter
    // (runtime/check-options.ts); this is what keeps a value that slipped past out of the log.
    if ((v >>> 0) !== v && !(Number.isSafeInteger(v) && v >= 0)) throw new RangeError(`cannot log ${String(v)}: not an integer from 0 to 2^53`)
    this.ensure(8)
    const b = this.slab
    let p = this.pos
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80
      v = v >= 0x80000000 ? Math.floor(v / 128) : v >>> 7
    }
    b[p++] = v
    this.pos = p
  }

  /** Signed integer (zig-zag). */
  int(v: number): void {
    // 0.5 would be logged as 1, which reads back as -1.
    if (!Number.isSafeInteger(v)) throw new RangeError(`cannot log ${String(v)}: not an integer`)
    this.uint(v >= 0 ? v * 2 : -v * 2 - 1)
  }

  f64(v: number): void {
    this.ensure(8)
    this.view.setFloat64(this.pos, v, true)
    this.pos += 8
  }

  str(s: string): void {
    // ASCII fast path: most strings written here are names, keys and messages.
    const n = s.length
    this.ensure(n * 3 + 8)
    if (n < 128) {
      const lenAt = this.pos++
      let p = this.pos
      const b = this.slab
      let ascii = true
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i)
        if (c > 0x7f) { ascii = false; break }
        b[p++] = c
      }
      if (ascii) {
        b[lenAt] = n
        this.pos = p
        return
      }
      this.pos = lenAt
    }
    const written = textEncoder.encodeInto(s, this.slab.subarray(this.pos + 5)).written
    const lenAt = this.pos
    this.uint(written)
    const lenBytes = this.pos - lenAt
    this.slab.copyWithin(this.pos, lenAt + 5, lenAt + 5 + written)
    this.pos = lenAt + lenBytes + written
  }

  /** Length-prefixed bytes. */
  bytes(data: Uint8Array): void {
    this.uint(data.length)
    this.raw(data)
  }

  raw(data: Uint8Array): void {
    const n = data.length
    this.ensure(n)
    if (n <= 16) {
      // Tiny copies (keys, small results): a loop beats the call overhead of TypedArray#set.
      const b = this.slab
      let p = this.pos
      for (let i = 0; i < n; i++) b[p++] = data[i]
      this.pos = p
    } else {
      this.slab.set(data, this.pos)
      this.pos += n
    }
  }

  /** Position (within the current record) of the next byte; with `slabAt` gives a view of bytes written so far. */
  mark(): number {
    return this.pos - this.start
  }

  /** View of the current record's bytes from `mark` (record-relative) to now. Only valid to call before `end()`. */
  viewFrom(mark: number): Uint8Array {
    return this.slab.subarray(this.start + mark, this.pos)
  }
}

/** Where some bytes are, without a typed-array view (a Uint8Array is one; apply reuses a scratch one). */
export interface ByteSpan {
  buffer: ArrayBufferLike
  byteOffset: number
  length: number
}

/** Sequential reader over a byte array. */
export class ByteReader {
  buf: Uint8Array
  pos: number
  private view: DataView | null = null

  constructor(buf: Uint8Array, pos = 0) {
    this.buf = buf
    this.pos = pos
  }

  reset(buf: Uint8Array, pos = 0): void {
    this.buf = buf
    this.pos = pos
    this.view = null
  }

  get done(): boolean {
    return this.pos >= this.buf.length
  }

  u8(): number {
    if (this.pos >= this.buf.length) throw new RangeError('read past end of event')
    return this.buf[this.pos++]
  }

  uint(): number {
    const b = this.buf
    let p = this.pos
    // Past the end `b[p]` is undefined, which would read as 0: a damaged count must fail, not loop.
    if (p >= b.length) throw new RangeError('read past end of event')
    let byte = b[p++]
    let v = byte & 0x7f
    let mul = 128
    while (byte & 0x80) {
      if (p >= b.length) throw new RangeError('read past end of event')
      byte = b[p++]
      v += (byte & 0x7f) * mul
      mul *= 128
    }
    this.pos = p
    return v
  }

  int(): number {
    const z = this.uint()
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2
  }

  f64(): number {
    if (this.view === null) this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)
    const v = this.view.getFloat64(this.pos, true)
    this.pos += 8
    return v
  }

  str(): string {
    const n = this.uint()
    const b = this.buf
    const end = this.pos + n
    if (end > b.length) throw new RangeError('read past end of event')
    if (n < 32) {
      let s = ''
      let p = this.pos
      for (; p < end; p++) {
        const c = b[p]
        if (c > 0x7f) break
        s += String.fromCharCode(c)
      }
      if (p === end) {
        this.pos = end
        return s
      }
    }
    const s = textDecoder.decode(b.subarray(this.pos, end))
    this.pos = end
    return s
  }

  /**
   * Length-prefixed bytes, located in `out` (a reused scratch) instead of a
   * new view: the hot add path only needs to know where the bytes are.
   */
  span(out: ByteSpan): ByteSpan {
    const n = this.uint()
    const end = this.pos + n
    if (end > this.buf.length) throw new RangeError('read past end of event')
    out.buffer = this.buf.buffer
    out.byteOffset = this.buf.byteOffset + this.pos
    out.length = n
    this.pos = end
    return out
  }

  /** Length-prefixed bytes, as a view into the buffer being read. */
  bytes(): Uint8Array {
    const n = this.uint()
    if (n === 0) return EMPTY
    const end = this.pos + n
    if (end > this.buf.length) throw new RangeError('read past end of event')
    const b = this.buf
    const v = new Uint8Array(b.buffer, b.byteOffset + this.pos, n)
    this.pos = end
    return v
  }
}
