/**
 * fastq: an in-process, in-memory work queue with no persistence at all — the
 * ceiling for dispatching a job to a handler inside one Node process.
 * Jobs added before workers start are held by pausing the queue.
 */
import fastq from 'fastq'
import type { BenchJobData, BenchQueue, WorkerHooks } from './bench-queue.js'

export function openFastq(): BenchQueue {
  let hooks: WorkerHooks | undefined
  const handler = async (data: BenchJobData): Promise<void> => {
    hooks?.onStart(data)
  }
  // Completion is reported by the worker once the async handler settles; push needs no callback.
  const queue = fastq<unknown, BenchJobData, void>((data, done) => {
    handler(data).then(() => {
      hooks?.onComplete(data.t)
      done(null)
    }, done)
  }, 1)
  queue.pause()
  return {
    add(data) {
      queue.push(data)
    },
    addBulk(batch) {
      for (const data of batch) queue.push(data)
    },
    startWorkers(concurrency, workerHooks) {
      hooks = workerHooks
      queue.concurrency = concurrency
      queue.resume()
    },
    async close() {
      queue.kill()
    },
  }
}
