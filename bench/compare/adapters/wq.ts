/**
 * wq, embedded: one engine per measurement in its own directory, one queue,
 * the durability mode under test. Workers use the in-process `process()` API;
 * completions are observed through the queue's `completed` event.
 */
import type { WqDurability } from '../systems.js'
import type { BenchJobData, BenchQueue, OpenContext } from './bench-queue.js'
import { openEngine } from './wq-engine.js'

const QUEUE_NAME = 'bench'

export async function openWq(ctx: OpenContext, durability: WqDurability): Promise<BenchQueue> {
  const engine = await openEngine(ctx.dir, durability)
  const queue = engine.queue(QUEUE_NAME)
  let stopWorkers: (() => void) | undefined
  return {
    add(data) {
      return queue.add(data)
    },
    addBulk(batch) {
      return queue.addBulk(batch.map((data) => ({ data })))
    },
    startWorkers(concurrency, hooks) {
      // The completed event carries the job id only; latency runs look the data up by id.
      const running = hooks.completionData ? new Map<string, BenchJobData>() : undefined
      queue.on('completed', (job) => {
        if (!running) return hooks.onComplete(undefined)
        const data = running.get(job.id)
        running.delete(job.id)
        hooks.onComplete(data)
      })
      stopWorkers = queue.process(
        async (job) => {
          const data = job.data as BenchJobData
          running?.set(job.id, data)
          hooks.onStart(data)
        },
        { concurrency },
      )
    },
    async close() {
      stopWorkers?.()
      await engine.close()
    },
  }
}
