/**
 * Which queue each job is in, learned while streaming the log, so that events
 * that name only the job (start, complete, fail, …) can be shown and filtered
 * by queue too. Jobs are forgotten when they complete or are removed, so the
 * map holds the jobs alive at that point of the log — the queue depth — not
 * everything the log ever saw.
 */
import type { DumpEvent } from './event.js'

const FORGET_ON = new Set(['complete', 'run-complete', 'remove'])

export class JobQueues {
  private readonly queueOf = new Map<string, string>()

  /** Learns from `event` and fills in its queue when it names only a job. */
  track(event: DumpEvent): void {
    const fields = event as Record<string, unknown>
    const jobId = typeof fields.jobId === 'string' ? fields.jobId : undefined
    const queue = typeof fields.queue === 'string' ? fields.queue : undefined
    if (jobId !== undefined) {
      if (queue !== undefined) this.queueOf.set(jobId, queue)
      else {
        const known = this.queueOf.get(jobId)
        if (known !== undefined) fields.queue = known
      }
    }
    if (queue !== undefined && Array.isArray(fields.jobs)) {
      for (const job of fields.jobs as { jobId?: unknown }[]) if (typeof job?.jobId === 'string') this.queueOf.set(job.jobId, queue)
    }
    const next = fields.next as { queue?: unknown; jobId?: unknown } | undefined
    if (next && typeof next.queue === 'string' && typeof next.jobId === 'string') this.queueOf.set(next.jobId, next.queue)
    if (jobId !== undefined && (FORGET_ON.has(event.type) || event.type === 'complete-next')) this.queueOf.delete(jobId)
  }
}
