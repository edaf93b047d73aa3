/** Finding a job by id in the read-only views of a data directory's pipelines. */
import type { JobInfo, PipelineView } from '@wq/engine/inspect'
import type { DataDir } from '../../data-dir.js'
import { selectPipelines } from '../../data-dir.js'
import { usageError } from '../../errors.js'
import { replayView } from '../replay.js'

export interface FoundJob {
  pipeline: string
  view: PipelineView
  job: JobInfo
}

/**
 * Job ids name their pipeline: `42` is in `default`, `billing:42` in
 * `billing`; with --pipeline a bare number means that pipeline's job.
 */
export function pipelinesForJobId(data: DataDir, id: string, pipeline?: string): string[] {
  if (pipeline !== undefined) return selectPipelines(data, pipeline)
  const colon = id.lastIndexOf(':')
  if (colon > 0) {
    const named = id.slice(0, colon)
    return data.pipelines.includes(named) ? [named] : []
  }
  return data.pipelines.includes('default') ? ['default'] : data.pipelines
}

/** Looks the job up where its id says it is; an unknown id is a usage error (exit 2). */
export async function findJob(data: DataDir, id: string, pipeline?: string): Promise<FoundJob> {
  const pipelines = pipelinesForJobId(data, id, pipeline)
  for (const name of pipelines) {
    const view = await replayView(data.root, name)
    const job = view.job(id)
    if (job) return { pipeline: name, view, job }
  }
  throw usageError(
    `unknown job "${id}" in ${pipelines.length === 1 ? `pipeline ${pipelines[0]}` : data.given}`,
    'completed jobs are kept only for a while (keepCompleted); `wq dump --job ID` shows its events if still in the log',
  )
}

/** A usage error naming the queues there are, for an unknown --queue. */
export function requireQueue(view: PipelineView, pipeline: string, queue: string | undefined): void {
  if (queue === undefined) return
  const names = view.queues().map((q) => q.name)
  if (!names.includes(queue)) throw usageError(`unknown queue "${queue}" in pipeline ${pipeline}`, `queues: ${names.join(', ') || '(none)'}`)
}
