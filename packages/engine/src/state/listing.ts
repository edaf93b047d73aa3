/** Paging through jobs by queue, state and tag (an admin path: plain iteration is fine here). */
import { STATE_NAMES, REMOVED, type JobRecord } from './job.js'
import { jobInfo, parseJobId, type JobInfo, type JobState } from './job-info.js'
import type { PipelineState } from './pipeline-state.js'

export interface JobFilter {
  queue?: string
  state?: JobState
  tag?: string
  /** Page size. Default 100. */
  limit?: number
  /** Return jobs after this job id (the last id of the previous page). */
  after?: string
}

const STATES = ['waiting', 'delayed', 'active', 'completed', 'dead']

export function listJobs(s: PipelineState, pipeline: string, f: JobFilter = {}): JobInfo[] {
  // A misspelt state or a negative limit would list nothing, which reads as "there are none".
  if (f.state !== undefined && !STATES.includes(f.state)) throw new TypeError(`state must be one of ${STATES.join(', ')}, got ${String(f.state)}`)
  if (f.limit !== undefined && !(f.limit === Infinity || (Number.isSafeInteger(f.limit) && f.limit >= 0))) throw new TypeError(`limit must be a whole number ≥ 0 (or Infinity), got ${String(f.limit)}`)
  const limit = f.limit ?? 100
  const afterId = f.after === undefined ? 0 : (parseJobId(f.after)?.id ?? 0)
  const source: Iterable<JobRecord> = f.tag !== undefined ? [...(s.tags.get(f.tag) ?? [])].sort((a, b) => a.id - b.id) : s.jobs.values()
  const out: JobInfo[] = []
  const matches: JobRecord[] = []
  for (const job of source) {
    if (job.state === REMOVED) continue
    if (f.queue !== undefined && job.queue.name !== f.queue) continue
    if (f.state !== undefined && STATE_NAMES[job.state] !== f.state) continue
    if (job.id <= afterId) continue
    matches.push(job)
  }
  // Map order is insertion order, which is id order for adds; sort to be sure paging is stable.
  matches.sort((a, b) => a.id - b.id)
  for (const job of matches) {
    if (out.length >= limit) break
    out.push(jobInfo(pipeline, job))
  }
  return out
}
