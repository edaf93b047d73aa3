/**
 * Recycled blocks for the data of jobs added live.
 *
 * Data copied into fresh memory costs a page fault per 4 KiB and churns
 * external memory (GC): copying 4 KiB job data into new 512 KiB slabs took
 * ~11 % of the CPU end to end. Here data is copied into 1 MiB blocks that are
 * reused once nothing points into them:
 * - `pending`: copies staged for add records not yet applied (the committer
 *   holds them until the record is durable);
 * - the DataStore's references (jobs holding their data), reported through
 *   `referenced()`;
 * - `pins`: a snapshot being written passes large data as views, so the
 *   blocks those views are in stay until it is done.
 * The block being filled is never reused until it is full.
 */
const BLOCK_BYTES = 1024 * 1024
/** Data at least this large is staged in blocks; smaller data stays in the event slabs (no page-fault cost worth it). */
export const ARENA_MIN_BYTES = 1024
/** Free blocks kept for reuse; more are left to the GC. */
const MAX_FREE = 32

interface Block {
  readonly bytes: Uint8Array
  pending: number
  referenced: boolean
  pins: number
}

export class DataArena {
  private readonly blocks = new Map<ArrayBufferLike, Block>()
  private readonly free: Uint8Array[] = []
  private current: Block | null = null
  private pos = 0

  /** Copy `data` into a block; the returned view stays valid until `settle(view)` and the DataStore lets go of it. */
  stage(data: Uint8Array): Uint8Array {
    const n = data.length
    let b = this.current
    if (b === null || this.pos + n > b.bytes.length) b = this.nextBlock(n)
    b.bytes.set(data, this.pos)
    b.pending++
    const view = b.bytes.subarray(this.pos, this.pos + n)
    this.pos += (n + 7) & ~7
    return view
  }

  /** The add record holding `view` was applied (the DataStore references it now) or dropped. */
  settle(view: Uint8Array): void {
    const b = this.blocks.get(view.buffer)
    if (b === undefined) return
    b.pending--
    this.maybeFree(b)
  }

  /** The DataStore started or stopped referencing block `buf`. */
  referenced(buf: ArrayBufferLike, yes: boolean): void {
    const b = this.blocks.get(buf)
    if (b === undefined) return
    b.referenced = yes
    if (!yes) this.maybeFree(b)
  }

  /** Keep the blocks any of `views` is in until `unpin(views)` (a snapshot is writing them). */
  pin(views: readonly Uint8Array[]): void {
    for (const v of views) {
      const b = this.blocks.get(v.buffer)
      if (b !== undefined) b.pins++
    }
  }

  unpin(views: readonly Uint8Array[]): void {
    for (const v of views) {
      const b = this.blocks.get(v.buffer)
      if (b === undefined) continue
      b.pins--
      this.maybeFree(b)
    }
  }

  /** Blocks allocated and not yet returned (for tests). */
  get liveBlocks(): number {
    return this.blocks.size
  }

  private nextBlock(n: number): Block {
    const old = this.current
    const size = Math.max(BLOCK_BYTES, n)
    const reuse = size === BLOCK_BYTES ? this.free.pop() : undefined
    const bytes = reuse ?? newBlock(size)
    const b: Block = { bytes, pending: 0, referenced: false, pins: 0 }
    this.blocks.set(bytes.buffer, b)
    this.current = b
    this.pos = 0
    if (old !== null) this.maybeFree(old)
    return b
  }

  private maybeFree(b: Block): void {
    if (b === this.current || b.pending > 0 || b.referenced || b.pins > 0) return
    if (!this.blocks.delete(b.bytes.buffer)) return
    if (b.bytes.length === BLOCK_BYTES && this.free.length < MAX_FREE) this.free.push(b.bytes)
  }
}

/** Not zero-filled: only bytes written are read back. */
function newBlock(bytes: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(bytes)
  return new Uint8Array(b.buffer, b.byteOffset, b.length)
}
