/**
 * BullMQ on a local redis-server that the parent process started for this
 * measurement (its persistence set by the configuration). Completed and failed
 * jobs are removed, as wq removes them from the queue, so Redis memory stays
 * comparable.
 */
import { Queue, Worker } from 'bullmq'
import type { BenchJobData, BenchQueue, OpenContext } from './bench-queue.js'

const QUEUE_NAME = 'bench'
const JOB_NAME = 'job'

export function openBullmq(ctx: OpenContext): BenchQueue {
  if (!ctx.redisPort) throw new Error('BullMQ needs a Redis port')
  const connection = { host: '127.0.0.1', port: ctx.redisPort, maxRetriesPerRequest: null }
  const queue = new Queue<BenchJobData>(QUEUE_NAME, {
    connection,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
  })
  let worker: Worker<BenchJobData> | undefined
  return {
    add(data) {
      return queue.add(JOB_NAME, data)
    },
    addBulk(batch) {
      return queue.addBulk(batch.map((data) => ({ name: JOB_NAME, data })))
    },
    async startWorkers(concurrency, hooks) {
      worker = new Worker<BenchJobData>(
        QUEUE_NAME,
        async (job) => {
          hooks.onStart(job.data)
        },
        { connection, concurrency, removeOnComplete: { count: 0 }, removeOnFail: { count: 0 } },
      )
      worker.on('completed', (job) => hooks.onComplete(job.data.t))
      await worker.waitUntilReady()
    },
    async close() {
      await worker?.close(true)
      await queue.close()
    },
  }
}
