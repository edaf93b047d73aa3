/** Building `stats()` results from state (counts, totals) and runtime metrics. */
import type { QueueState } from '../state/queue-state.js'
import type { Pipeline } from './pipeline.js'
import type { QueueStats } from '../types.js'

export function queueStats(p: Pipeline, q: QueueState): QueueStats {
  const rt = p.queueRuntime(q)
  return {
    name: q.name,
    pipeline: p.name,
    paused: q.paused,
    counts: { ...q.counts },
    totals: { ...q.totals },
    waitTime: rt.metrics.wait.percentiles(),
    runTime: rt.metrics.run.percentiles(),
    throughput: rt.metrics.throughput(p.now()),
  }
}
