/**
 * fastq + wq's WAL: the least any queue that logs its jobs must do, run in the
 * same harness, so the distance between fastq and `wq buffered` can be split
 * into what logging costs and what the engine's own bookkeeping costs.
 *
 * Per job: pack the data (msgpack, as the engine does), push one framed and
 * checksummed record into a `buffered` WAL, acknowledge the add once the
 * record is buffered, and only then hand the job to fastq; on the worker,
 * unpack the data, call the handler and log a completion record. There is no job table,
 * no retries, no events, no recovery of running jobs: it is a floor, not a
 * queue anyone should use.
 */
import fastq from 'fastq'
import { Packr, REUSE_BUFFER_MODE, RESET_BUFFER_MODE } from 'msgpackr'
import { Wal } from '@wq/wal'
import type { BenchJobData, BenchQueue, OpenContext, WorkerHooks } from './bench-queue.js'

const ADD = 1
const COMPLETE = 2

interface LoggedJob {
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

export async function openFastqWal(ctx: OpenContext): Promise<BenchQueue> {
  // The engine's packing options: plain msgpack, no shared record structures.
  const packr = new Packr({ useRecords: false, moreTypes: true })
  const wal = await Wal.open({ dir: ctx.dir, durability: 'buffered' })
  // A completion names the add it finishes by LSN; push copies the payload, so one buffer serves every record.
  const completion = Buffer.alloc(8)
  let hooks: WorkerHooks | undefined
  const handler = async (data: BenchJobData): Promise<void> => {
    hooks?.onStart(data)
  }
  const pool = new SlabPool()
  const range = { start: 0, end: 0 }
  const queue = fastq<unknown, LoggedJob, void>((job, done) => {
    range.start = job.start
    range.end = job.end
    const data = packr.unpack(pool.slabs[job.slab], range) as BenchJobData
    pool.release(job.slab)
    handler(data).then(() => {
      completion.writeDoubleLE(job.lsn, 0)
      wal.push(completion, COMPLETE)
      hooks?.onComplete(data.t)
      done(null)
    }, done)
  }, 1)
  queue.pause()
  /** Log the add and copy its data; the job is handed to the workers once the add is acknowledged. */
  const log = (data: BenchJobData): LoggedJob => {
    // Packed into msgpackr's reused buffer (as the engine does): the WAL copies it at once, the slab keeps a copy.
    const b = packr.pack(data, REUSE_BUFFER_MODE | RESET_BUFFER_MODE) as Buffer & { start: number; end: number }
    const packed = b.subarray(b.start, b.end)
    const lsn = wal.push(packed, ADD)
    const slab = pool.copy(packed)
    return { lsn, slab, start: pool.lastStart, end: pool.lastStart + packed.length }
  }
  // A job runs only once its add is acknowledged, as in any queue: this is also what holds a producer
  // back when the log's writes fall behind (buffered mode acknowledges late then).
  const dispatch = (job: LoggedJob) => (): void => queue.push(job)
  return {
    add(data) {
      const job = log(data)
      return wal.durable(job.lsn).then(dispatch(job))
    },
    addBulk(batch) {
      const jobs = batch.map(log)
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
      await wal.close()
    },
  }
}
