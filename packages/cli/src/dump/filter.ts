/** Filters of `wq dump`: by event type, queue and job. */
import type { DumpEvent } from './event.js'

/** Job ids name their pipeline (`billing:42`); events carry the bare number. */
export function splitJobId(id: string): { pipeline?: string; id: string } {
  const colon = id.lastIndexOf(':')
  return colon > 0 ? { pipeline: id.slice(0, colon), id: id.slice(colon + 1) } : { id }
}

export function eventFilter(opts: { queue?: string; job?: string; types?: Set<string> }): (event: DumpEvent) => boolean {
  const { queue, job, types } = opts
  return (event) => {
    if (types && !types.has(event.type.toLowerCase())) return false
    if (queue !== undefined && !inQueue(event as Record<string, unknown>, queue)) return false
    if (job !== undefined && !mentionsJob(event as Record<string, unknown>, job)) return false
    return true
  }
}

function inQueue(fields: Record<string, unknown>, queue: string): boolean {
  if (fields.queue === queue) return true
  const next = fields.next as { queue?: unknown } | undefined
  return next?.queue === queue
}

/** A job is mentioned as the event's job, or inside it: one of a bulk add's jobs, a stage's next job. */
export function mentionsJob(fields: Record<string, unknown>, id: string, depth = 0): boolean {
  if (fields.jobId === id) return true
  if (depth > 1) return false
  for (const value of Object.values(fields)) {
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'object' && item !== null && mentionsJob(item as Record<string, unknown>, id, depth + 1)) return true
    } else if (typeof value === 'object' && value !== null && !(value instanceof Date) && mentionsJob(value as Record<string, unknown>, id, depth + 1)) return true
  }
  return false
}
