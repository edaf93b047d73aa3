/**
 * One pass of the writer over the chunks encoded so far: positioned writes,
 * several in flight, completed strictly in order. The writer decides what a
 * completed chunk means (acknowledgements, LSNs) and what a failure does (cut
 * back, reject); this file owns only the order and the overlap of the writes.
 *
 * Why several in flight: a write's callback waits for the event loop, so while
 * the main thread runs a long task one write in flight leaves the disk thread
 * idle (256 KiB writes under a main thread busy in 0.5 ms turns: 320–400 MB/s
 * with one, ~900 MB/s with two). Why more than the thread pool's four threads:
 * a pool thread that finds work queued takes it without being woken, and
 * waking one costs the main thread dearly on this VM (4 KiB jobs end to end in
 * `os` mode: six in flight +0–9 % over two; bench/compare/findings.md).
 *
 * Safe for recovery: a later chunk may land before an earlier one, but nothing
 * is completed past a chunk whose write has not, and a frame gets
 * FLAG_SYNCED_BEFORE only when no other write is in flight, so a hole left by a
 * crash sits in the unsynced tail and reads as a torn tail.
 */
import type { ActiveSegment } from './active-segment.js'
import type { Chunk } from './batch.js'
import { FLAG_SYNCED_BEFORE, setFrameFlags } from './frame.js'
import { writeFully } from './fs/file-system.js'
import { SEGMENT_HEADER_BYTES, type SegmentHeader } from './segment-header.js'

export interface WritePassHooks {
  /** The segment to write to now (it changes at a rotation). */
  active(): ActiveSegment
  /** Seal the active segment and open the one `header` names; throws if it could not. */
  rotate(header: SegmentHeader): Promise<void>
  /** `queue[index]` landed in `a`, and every chunk before it did. */
  completed(a: ActiveSegment, queue: Chunk[], index: number): void
  /** Writing (or rotating for) `queue[index]` failed: cut back and fail from it. Nothing later is written. */
  failed(err: unknown, queue: Chunk[], index: number): Promise<void>
  /** True once the log is poisoned: stop at once. */
  poisoned(): boolean
}

/** Write `queue` in order with up to `writesInFlight` writes in flight. Never rejects: failures go to the hooks. */
export async function writePass(queue: Chunk[], writesInFlight: number, hooks: WritePassHooks): Promise<void> {
  let a = hooks.active()
  let end = a.size
  const flights: { write: Promise<unknown>; index: number }[] = []
  // Complete the oldest writes until at most `keep` are in flight; false once one failed (it was cut back).
  const drainTo = async (keep: number): Promise<boolean> => {
    while (flights.length > keep) {
      const f = flights.shift()!
      const err = await f.write
      if (err === undefined) {
        hooks.completed(a, queue, f.index)
        continue
      }
      // Every later write must settle before the cut, or one could land after it.
      if (flights.length > 0) await Promise.all(flights.map((x) => x.write))
      await hooks.failed(err, queue, f.index)
      return false
    }
    return true
  }
  for (let i = 0; i < queue.length; i++) {
    const c = queue[i]
    if (c.rotateTo) {
      if (!(await drainTo(0))) return
      try {
        await hooks.rotate(c.rotateTo)
      } catch (err) {
        if (!hooks.poisoned()) await hooks.failed(err, queue, i)
        return
      }
      a = hooks.active()
      end = a.size
    }
    const fillInTheWay = a.fill?.blocking(end + c.used) ?? null
    if (fillInTheWay !== null) {
      await fillInTheWay
      if (hooks.poisoned()) return
    }
    // Tell recovery that everything before this frame was durable before it was written.
    if (flights.length === 0 && a.allSynced && a.size > SEGMENT_HEADER_BYTES) setFrameFlags(c.buf, 0, FLAG_SYNCED_BEFORE, a.state.salt)
    const write = writeFully(a.fh, c.buf, 0, c.used, end).then(noError, asError)
    end += c.used
    a.fill?.ahead(end)
    flights.push({ write, index: i })
    if (!(await drainTo(writesInFlight - 1))) return
  }
  await drainTo(0)
}

const noError = (): undefined => undefined
const asError = (err: unknown): unknown => err ?? new Error('write failed')
