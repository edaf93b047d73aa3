/**
 * An SQLite queue: plainjob on better-sqlite3, in WAL journal mode as plainjob
 * sets it, with `synchronous` FULL (every commit fsyncs the WAL) or NORMAL
 * (fsync only at checkpoints), the two settings SQLite documents for WAL mode.
 * plainjob workers poll; the poll interval is set to 10 ms (its default, 1 s,
 * would dominate every latency figure).
 */
import Database from 'better-sqlite3'
import { better, defineQueue, defineWorker, type Worker } from 'plainjob'
import { join } from 'node:path'
import type { SqliteSynchronous } from '../systems.js'
import type { BenchJobData, BenchQueue, OpenContext } from './bench-queue.js'

const JOB_TYPE = 'bench'
const POLL_INTERVAL_MS = 10
const silent = { error() {}, warn() {}, info() {}, debug() {} }

export function openSqlite(ctx: OpenContext, synchronous: SqliteSynchronous): BenchQueue {
  const db = new Database(join(ctx.dir, 'queue.db'))
  const queue = defineQueue({ connection: better(db), logger: silent })
  // plainjob hard-codes synchronous=NORMAL at definition; set the level measured after it.
  db.pragma(`synchronous = ${synchronous}`)
  const workers: Worker[] = []
  const loops: Promise<void>[] = []
  return {
    add(data) {
      queue.add(JOB_TYPE, data)
    },
    addBulk(batch) {
      queue.addMany(JOB_TYPE, batch)
    },
    startWorkers(concurrency, hooks) {
      // plainjob runs one job at a time per worker; concurrency is the number of workers.
      for (let i = 0; i < concurrency; i++) {
        const worker = defineWorker(
          JOB_TYPE,
          async (job) => {
            hooks.onStart(JSON.parse(job.data) as BenchJobData)
          },
          {
            queue,
            logger: silent,
            pollIntervall: POLL_INTERVAL_MS,
            onCompleted: (job) => hooks.onComplete(hooks.completionData ? (JSON.parse(job.data) as BenchJobData).t : undefined),
          },
        )
        workers.push(worker)
        loops.push(worker.start())
      }
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop()))
      // stop() only ends the sleep; each loop finishes its current job before the database may close.
      await Promise.all(loops)
      queue.close()
    },
  }
}
