/**
 * Two floors under the fastq target, run in the same harness, so the distance
 * between fastq and `wq buffered` can be split into what copying a job's data
 * costs, what logging it costs, and what the engine's own bookkeeping costs.
 *
 * - `fastq + msgpack copy` (`log: false`): per job, pack the data (msgpack, as
 *   the engine does), copy it into a slab, and unpack it for the handler.
 *   Every queue that keeps jobs apart from the caller's objects (to persist
 *   them, or so a caller's later change cannot reach a waiting job) does at
 *   least this; BullMQ and SQLite queues serialize to JSON.
 * - `fastq + wq WAL` (`log: true`): the same, plus one framed and checksummed
 *   record per add in a `buffered` WAL, the add acknowledged once the record
 *   is buffered and only then handed to fastq, and a completion record after
 *   the handler.
 *
 * There is no job table, no retries, no events, no recovery of running jobs:
 * these are floors, not queues anyone should use.
 */
import fastq from 'fastq'
import { Packr, REUSE_BUFFER_MODE, RESET_BUFFER_MODE } from 'msgpackr'
import { Wal } from '@wq/wal'
import type { BenchJobData, BenchQueue, OpenContext, WorkerHooks } from './bench-queue.js'

const ADD = 1
const COMPLETE = 2

interface StoredJob {
  /** the add record's LSN; 0 without a log */
  lsn: number
  /** where the packed data was copied: `slabs[slab][start, end)` */
  slab: number
  start: number
  end: number
}

/** Packed data is copied into slabs of this size, as the engine does, rather than into one buffer per job. */
const SLAB_BYTES = 512 * 1024

/**
 * Slabs are reused once no waiting job points into them, as the engine's data arena does: on this VM the
 * first touch of a fresh page costs ~13 µs, a page per 4 KiB job, which would otherwise cap the floor.
 */
class SlabPool {
  readonly slabs: Buffer[] = [Buffer.allocUnsafeSlow(SLAB_BYTES)]
  private readonly jobs: number[] = [0]
  private readonly free: number[] = []
  private current = 0
  private used = 0

  /** Where the last copy() put its bytes in its slab. */
  lastStart = 0

  /** Copy `bytes` in; returns the slab index (the offset is `lastStart`). */
  copy(bytes: Uint8Array): number {
    if (bytes.length > SLAB_BYTES) throw new RangeError(`job data of ${bytes.length} bytes does not fit a ${SLAB_BYTES}-byte slab`)
    if (this.used + bytes.length > SLAB_BYTES) {
      const retired = this.current
      this.current = this.free.pop() ?? this.slabs.push(Buffer.allocUnsafeSlow(SLAB_BYTES)) - 1
      this.jobs[this.current] = 0
      this.used = 0
      if (this.jobs[retired] === 0) this.free.push(retired)
    }
    this.slabs[this.current].set(bytes, this.used)
    this.lastStart = this.used
    this.used += bytes.length
    this.jobs[this.current]++
    return this.current
  }

  release(slab: number): void {
    if (--this.jobs[slab] === 0 && slab !== this.current) this.free.push(slab)
  }
}

export async function openFastqFloor(ctx: OpenContext, log: boolean): Promise<BenchQueue> {
  // The engine's packing options: plain msgpack, no shared record structures.
  const packr = new Packr({ useRecords: false, moreTypes: true })
  const wal = log ? await Wal.open({ dir: ctx.dir, durability: 'buffered' }) : null
  // A completion names the add it finishes by LSN; push copies the payload, so one buffer serves every record.
  const completion = Buffer.alloc(8)
  let hooks: WorkerHooks | undefined
  const handler = async (data: BenchJobData): Promise<void> => {
    hooks?.onStart(data)
  }
  const pool = new SlabPool()
  const range = { start: 0, end: 0 }
  const queue = fastq<unknown, StoredJob, void>((job, done) => {
    range.start = job.start
    range.end = job.end
    const data = packr.unpack(pool.slabs[job.slab], range) as BenchJobData
    pool.release(job.slab)
    handler(data).then(() => {
      if (wal !== null) {
        completion.writeDoubleLE(job.lsn, 0)
        wal.push(completion, COMPLETE)
      }
      hooks?.onComplete(data.t)
      done(null)
    }, done)
  }, 1)
  queue.pause()
  /** Log the add (with the WAL) and copy its data; the job is handed to the workers once the add is acknowledged. */
  const store = (data: BenchJobData): StoredJob => {
    // Packed into msgpackr's reused buffer (as the engine does): the WAL copies it at once, the slab keeps a copy.
    const b = packr.pack(data, REUSE_BUFFER_MODE | RESET_BUFFER_MODE) as Buffer & { start: number; end: number }
    const packed = b.subarray(b.start, b.end)
    const lsn = wal === null ? 0 : wal.push(packed, ADD)
    const slab = pool.copy(packed)
    return { lsn, slab, start: pool.lastStart, end: pool.lastStart + packed.length }
  }
  // A job runs only once its add is acknowledged, as in any queue: this is also what holds a producer
  // back when the log's writes fall behind (buffered mode acknowledges late then).
  const dispatch = (job: StoredJob) => (): void => queue.push(job)
  return {
    add(data) {
      const job = store(data)
      // Without a log there is nothing to wait for: acknowledged at once, as fastq's own add is.
      if (wal === null) return void queue.push(job)
      return wal.durable(job.lsn).then(dispatch(job))
    },
    addBulk(batch) {
      const jobs = batch.map(store)
      if (wal === null) return void jobs.forEach((job) => queue.push(job))
      return wal.durable(jobs[jobs.length - 1].lsn).then(() => {
        for (const job of jobs) queue.push(job)
      })
    },
    startWorkers(concurrency, workerHooks) {
      hooks = workerHooks
      queue.concurrency = concurrency
      queue.resume()
    },
    async close() {
      queue.kill()
      await wal?.close()
    },
  }
}
