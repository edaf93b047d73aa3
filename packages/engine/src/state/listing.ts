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

export function listJobs(s: PipelineState, pipeline: string, f: JobFilter = {}): JobInfo[] {
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
