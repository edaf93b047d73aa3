/** `wq jobs <dir> list`: pages through jobs, read-only. */
import { parseJobState, parsePositiveInt } from '../../args.js'
import { openDataDir, selectOnePipeline } from '../../data-dir.js'
import { usageError } from '../../errors.js'
import { c } from '../../output/colour.js'
import { printJson, printText } from '../../output/print.js'
import { renderJobTable } from '../../output/queues.js'
import { replayView } from '../replay.js'
import { requireQueue } from './find.js'
import type { JobsOptions } from './options.js'

export async function listJobs(dir: string, opts: JobsOptions): Promise<void> {
  const state = opts.state === undefined ? undefined : parseJobState(opts.state)
  const limit = parsePositiveInt(opts.limit, '--limit')
  const data = await openDataDir(dir)
  const pipeline = selectOnePipeline(data, opts.pipeline)
  const view = await replayView(data.root, pipeline)
  requireQueue(view, pipeline, opts.queue)
  if (opts.after !== undefined && !view.job(opts.after)) {
    // An `after` that no longer exists would silently restart the listing.
    throw usageError(`--after: unknown job "${opts.after}" in pipeline ${pipeline}`)
  }
  // Ask for one more than shown to know whether there is a next page.
  const jobs = view.jobs({ queue: opts.queue, state, tag: opts.tag, limit: limit + 1, after: opts.after })
  const page = jobs.slice(0, limit)
  const more = jobs.length > limit
  if (opts.json) {
    printJson({ pipeline, jobs: page, next: more ? page[page.length - 1].id : null })
    return
  }
  if (page.length === 0) {
    printText(c.dim('no jobs match'))
    return
  }
  const lines = [renderJobTable(page)]
  if (more) lines.push(c.dim(`… more: add --after ${page[page.length - 1].id}`))
  printText(lines.join('\n'))
}
