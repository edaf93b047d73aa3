/**
 * wq, embedded: one engine per measurement in its own directory, one queue,
 * the durability mode under test. Workers use the in-process `process()` API.
 */
import { openEngine, type WqJobLike } from './wq-engine.js'
import type { WqDurability } from '../systems.js'
import type { BenchJobData, BenchQueue, OpenContext } from './bench-queue.js'

const QUEUE_NAME = 'bench'

export async function openWq(ctx: OpenContext, durability: WqDurability): Promise<BenchQueue> {
  const engine = await openEngine(ctx.dir, durability)
  const queue = engine.queue(QUEUE_NAME)
  return {
    add(data) {
      return queue.add(data)
    },
    addBulk(batch) {
      return queue.addBulk(batch.map((data) => ({ data })))
    },
    startWorkers(concurrency, hooks) {
      queue.on('completed', (job: WqJobLike) => hooks.onComplete(job.data as BenchJobData))
      queue.process(
        async (job: WqJobLike) => {
          hooks.onStart(job.data as BenchJobData)
        },
        { concurrency },
      )
    },
    async close() {
      await engine.close()
    },
  }
}
