/** `wq jobs <dir> retry ID | --all-dead`: gives dead jobs fresh attempts; needs the lock. */
import { openDataDir, selectOnePipeline, selectPipelines } from '../../data-dir.js'
import { withEngine } from '../../engine-session.js'
import { usageError } from '../../errors.js'
import { requireUnlocked } from '../../lock-check.js'
import { c } from '../../output/colour.js'
import { formatInt } from '../../output/format.js'
import { printJson, printText } from '../../output/print.js'
import { replayView } from '../replay.js'
import { findJob, requireQueue } from './find.js'
import type { JobsOptions } from './options.js'

export async function retryJobs(dir: string, id: string | undefined, opts: JobsOptions): Promise<void> {
  const data = await openDataDir(dir)
  if (id !== undefined) {
    const { pipeline, job } = await findJob(data, id, opts.pipeline)
    // Checked here too so that a refusal does not open (and so recover and snapshot) the engine for nothing.
    if (job.state !== 'dead') throw usageError(`job ${job.id} is ${job.state}, only dead jobs can be retried`)
    await requireUnlocked(data, data.pipelines, 'jobs retry')
    await withEngine(data.root, `retrying job ${id}`, async (engine) => {
      const handle = engine.getJob(job.id)
      if (!handle) throw usageError(`unknown job "${job.id}" in pipeline ${pipeline}`)
      await actOn(() => handle.retry(), id)
    })
    if (opts.json) printJson({ pipeline, retried: [id], previousState: job.state })
    else printText(`${c.green('✓')} job ${id} (${job.queue}, was ${job.state}) is waiting again with fresh attempts`)
    return
  }

  const pipelines = opts.pipeline !== undefined || opts.queue !== undefined ? [selectOnePipeline(data, opts.pipeline)] : selectPipelines(data)
  const targets: { pipeline: string; queue: string; dead: number }[] = []
  for (const pipeline of pipelines) {
    const view = await replayView(data.root, pipeline)
    requireQueue(view, pipeline, opts.queue)
    for (const q of view.queues()) {
      if (opts.queue !== undefined && q.name !== opts.queue) continue
      if (q.counts.dead > 0) targets.push({ pipeline, queue: q.name, dead: q.counts.dead })
    }
  }
  const retried: { pipeline: string; queue: string; count: number }[] = []
  if (targets.length > 0) {
    await requireUnlocked(data, data.pipelines, 'jobs retry --all-dead')
    await withEngine(data.root, 'retrying dead jobs', async (engine) => {
      for (const t of targets) {
        const result: unknown = await engine.pipeline(t.pipeline).queue(t.queue).retryDead()
        retried.push({ pipeline: t.pipeline, queue: t.queue, count: typeof result === 'number' ? result : t.dead })
      }
    })
  }
  const total = retried.reduce((s, r) => s + r.count, 0)
  if (opts.json) {
    printJson({ retried })
    return
  }
  if (retried.length === 0) {
    printText(c.dim(`no dead jobs${opts.queue !== undefined ? ` in ${opts.queue}` : ''}`))
    return
  }
  printText(
    [
      ...retried.map((r) => `${c.green('✓')} ${r.pipeline}/${r.queue}: ${formatInt(r.count)} dead job${r.count === 1 ? '' : 's'} waiting again`),
      retried.length > 1 ? c.dim(`${formatInt(total)} in all`) : '',
    ]
      .filter(Boolean)
      .join('\n'),
  )
}

/** The engine refuses some actions (e.g. retrying a job that is not dead): that is the user's input, exit 2. */
export async function actOn(fn: () => unknown, id: string): Promise<void> {
  try {
    await fn()
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('WAL_')) throw err
    const message = err instanceof Error ? err.message : String(err)
    throw usageError(message.includes(id) ? message : `job ${id}: ${message}`)
  }
}
