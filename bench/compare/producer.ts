/**
 * Adds jobs one by one through `add()`, keeping up to `window` adds awaiting
 * acknowledgement — like a service handling that many requests at once. For a
 * system whose add is synchronous, the window bounds how many are added per
 * macrotask, so its workers still get the event loop.
 */
import type { BenchJobData, BenchQueue } from './adapters/bench-queue.js'

export interface ProducerOptions {
  count: number
  window: number
  makeData: (t: number) => BenchJobData
  /** performance.now() after which no more adds are issued */
  deadline: number
}

export interface ProducerProgress {
  issued: number
  acked: number
}

/** Resolves when every issued add has been acknowledged: all `count`, or fewer if the deadline passed. */
export function produce(queue: BenchQueue, opts: ProducerOptions, progress: ProducerProgress): Promise<void> {
  const { count, window, makeData, deadline } = opts
  let inflight = 0
  let scheduled = false
  let stopped = false
  let failure: unknown
  return new Promise<void>((resolve, reject) => {
    const finishIfDone = (): void => {
      if (inflight === 0 && (progress.issued === count || stopped)) {
        if (failure) reject(failure)
        else resolve()
      }
    }
    const ack = (): void => {
      inflight--
      progress.acked++
      if (!scheduled && !stopped && progress.issued < count && inflight <= window / 2) {
        scheduled = true
        setImmediate(pump)
      }
      finishIfDone()
    }
    const fail = (err: unknown): void => {
      failure ??= err
      stopped = true
      inflight--
      finishIfDone()
    }
    const pump = (): void => {
      scheduled = false
      if (performance.now() >= deadline) stopped = true
      let budget = window
      while (!stopped && budget-- > 0 && inflight < window && progress.issued < count) {
        inflight++
        progress.issued++
        const pending = queue.add(makeData(performance.now()))
        if (pending) pending.then(ack, fail)
        else ack()
      }
      if (!stopped && !scheduled && progress.issued < count && inflight < window) {
        scheduled = true
        setImmediate(pump)
      }
      finishIfDone()
    }
    pump()
  })
}
