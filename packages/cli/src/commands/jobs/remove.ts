/** `wq jobs <dir> remove ID`: deletes a job (logged, so it stays deleted); needs the lock. */
import { openDataDir } from '../../data-dir.js'
import { withEngine } from '../../engine-session.js'
import { usageError } from '../../errors.js'
import { requireUnlocked } from '../../lock-check.js'
import { c } from '../../output/colour.js'
import { printJson, printText } from '../../output/print.js'
import { findJob } from './find.js'
import type { JobsOptions } from './options.js'
import { actOn } from './retry.js'

export async function removeJob(dir: string, id: string, opts: JobsOptions): Promise<void> {
  const data = await openDataDir(dir)
  const { pipeline, job } = await findJob(data, id, opts.pipeline)
  await requireUnlocked(data, data.pipelines, 'jobs remove')
  await withEngine(data.root, `removing job ${id}`, async (engine) => {
    const handle = engine.getJob(job.id)
    if (!handle) throw usageError(`unknown job "${job.id}" in pipeline ${pipeline}`)
    await actOn(() => handle.remove(), id)
  })
  if (opts.json) printJson({ pipeline, removed: id, previousState: job.state })
  else printText(`${c.green('✓')} removed job ${id} (${job.queue}, was ${job.state})`)
}
