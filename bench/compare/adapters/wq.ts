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
      // The completed event carries the job's result, not its data: latency runs return the add time as the result.
      const withAddTime = hooks.completionData === true
      queue.on('completed', (_job, result) => hooks.onComplete(result as number | undefined))
      stopWorkers = queue.process(
        async (job) => {
          const data = job.data as BenchJobData
          hooks.onStart(data)
          return withAddTime ? data.t : undefined
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
