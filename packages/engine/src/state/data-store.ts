/**
 * Where job data bytes live. A job keeps (slab, offset, length) numbers
 * instead of a typed-array view (~80 bytes and one object less per job).
 * Slabs are whatever buffers the bytes arrived in — the encoder's slabs
 * (live adds), the replay arena, the snapshot file — registered on first
 * sight and reference-counted, so a slab is freed once no job points into it.
 */
import type { ByteSpan } from '../codec/bytes.js'
import { DataArena } from './data-arena.js'
import { decodeValueAt } from '../codec/data.js'

const EMPTY = new Uint8Array(0)

export interface DataRef {
  dataSlab: number
  dataOff: number
  dataLen: number
}

export class DataStore {
  /** Where live adds' large data is staged (recycled blocks, see DataArena). */
  readonly arena = new DataArena()
  private readonly slabs: (ArrayBufferLike | null)[] = []
  /** A whole-slab view per slab, made on first use (see `decode`). */
  private readonly slabViews: (Uint8Array | null)[] = []
  private readonly refs: number[] = []
  private readonly index = new Map<ArrayBufferLike, number>()
  private readonly freeSlots: number[] = []
  private lastBuf: ArrayBufferLike | null = null
  private lastIdx = -1

  private slabOf(buf: ArrayBufferLike): number {
    if (buf === this.lastBuf) return this.lastIdx
    let idx = this.index.get(buf)
    if (idx === undefined) {
      idx = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.slabs.length
      this.slabs[idx] = buf
      this.slabViews[idx] = null
      this.refs[idx] = 0
      this.index.set(buf, idx)
      this.arena.referenced(buf, true)
    }
    this.lastBuf = buf
    this.lastIdx = idx
    return idx
  }

  /** Register a buffer up front (snapshot load) and return its slab index. */
  register(buf: ArrayBufferLike): number {
    return this.slabOf(buf)
  }

  /** Point `ref` at bytes of a registered slab. */
  retainAt(ref: DataRef, slab: number, offset: number, length: number): void {
    if (length === 0) {
      ref.dataSlab = -1
      ref.dataOff = 0
      ref.dataLen = 0
      return
    }
    this.refs[slab]++
    ref.dataSlab = slab
    ref.dataOff = offset
    ref.dataLen = length
  }

  /** Point `ref` at `bytes` (which must never be overwritten). */
  retain(ref: DataRef, bytes: ByteSpan): void {
    if (bytes.length === 0) {
      ref.dataSlab = -1
      ref.dataOff = 0
      ref.dataLen = 0
      return
    }
    const idx = this.slabOf(bytes.buffer)
    this.refs[idx]++
    ref.dataSlab = idx
    ref.dataOff = bytes.byteOffset
    ref.dataLen = bytes.length
  }

  /** `ref` no longer needs its bytes. */
  release(ref: DataRef): void {
    const idx = ref.dataSlab
    if (idx < 0) return
    ref.dataSlab = -1
    if (--this.refs[idx] > 0) return
    const buf = this.slabs[idx]!
    this.index.delete(buf)
    this.slabs[idx] = null
    this.slabViews[idx] = null
    this.freeSlots.push(idx)
    if (this.lastIdx === idx) {
      this.lastBuf = null
      this.lastIdx = -1
    }
    this.arena.referenced(buf, false)
  }

  view(ref: DataRef): Uint8Array {
    const idx = ref.dataSlab
    return idx < 0 ? EMPTY : new Uint8Array(this.slabs[idx]!, ref.dataOff, ref.dataLen)
  }

  /**
   * Decode `ref`'s data (undefined when it has none). It reads from one
   * whole-slab view per slab, made on first use: msgpackr caches a DataView on
   * the array it is given, so a fresh view per job cost a view, a DataView and
   * a new property per decode.
   */
  decode(ref: DataRef): unknown {
    const idx = ref.dataSlab
    if (idx < 0) return undefined
    const slab = this.slabViews[idx] ?? (this.slabViews[idx] = new Uint8Array(this.slabs[idx]!))
    return decodeValueAt(slab, ref.dataOff, ref.dataOff + ref.dataLen)
  }

  /** Slabs currently referenced (for tests and stats). */
  get liveSlabs(): number {
    return this.index.size
  }
}
