/**
 * Real data directories written by the engine, for the CLI to read: jobs in
 * every state, two pipelines, tags, a delayed job and dead jobs with errors.
 */
import { Engine } from '@wq/engine'

export interface Fixture {
  /** Completed in `mail`. */
  completed: string[]
  /** Dead in `mail` (the handler always throws "smtp refused"). */
  dead: string[]
  /** Waiting in `reports` (no worker). */
  waiting: string[]
  /** Delayed an hour in `reports`. */
  delayed: string
  /** Waiting in pipeline `billing`, queue `invoices`. */
  billing: string[]
}

const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, child: () => quiet, level: 'silent' }

export function openEngine(root: string): Promise<Engine> {
  return Engine.open({ dir: root, durability: 'sync', logger: quiet as never })
}

export async function writeFixture(root: string): Promise<Fixture> {
  const engine = await openEngine(root)
  try {
    const mail = engine.queue('mail', { concurrency: 4, attempts: 2, backoff: { type: 'fixed', delay: 0 } })
    const reports = engine.queue('reports')
    const invoices = engine.pipeline('billing').queue('invoices')

    const ok = await Promise.all([1, 2, 3].map((n) => mail.add({ to: `user${n}@example.com` }, { tags: ['welcome'] })))
    const bad = await Promise.all([1, 2].map((n) => mail.add({ to: `bounce${n}@example.com`, fail: true }, { tags: ['bounce'] })))
    mail.process(async (job) => {
      if ((job.data as { fail?: boolean }).fail) throw new Error('smtp refused')
      return { sent: true }
    })
    await Promise.all(ok.map((j) => j.finished()))
    await Promise.all(bad.map((j) => j.finished().catch(() => undefined)))

    const waiting = await Promise.all([1, 2].map((n) => reports.add({ report: n }, { priority: n })))
    const delayed = await reports.add({ report: 'later' }, { delay: 3_600_000 })
    const billing = await Promise.all([1, 2].map((n) => invoices.add({ invoice: n })))
    return {
      completed: ok.map((j) => j.id),
      dead: bad.map((j) => j.id),
      waiting: waiting.map((j) => j.id),
      delayed: delayed.id,
      billing: billing.map((j) => j.id),
    }
  } finally {
    await engine.close()
  }
}

/**
 * A log of `jobs` waiting jobs in small (4 KiB) segments and no snapshot, as
 * an engine leaves it when it dies before its first snapshot: every read has
 * to go through every segment.
 */
export async function writeSegmentedLog(root: string, jobs = 200): Promise<void> {
  const { readdir, rm } = await import('node:fs/promises')
  const { join } = await import('node:path')
  const engine = await Engine.open({ dir: root, durability: 'os', wal: { segmentBytes: 4096 }, snapshotEvery: false, compactAfterSnapshot: false, logger: quiet as never })
  try {
    const queue = engine.queue('mail')
    // One record per add, so the records spread over many segments.
    for (let i = 0; i < jobs; i++) await queue.add({ to: `user${i}@example.com`, body: 'x'.repeat(40) })
  } finally {
    await engine.close()
  }
  const walDir = join(root, 'default')
  for (const name of await readdir(walDir)) if (name.endsWith('.snap')) await rm(join(walDir, name))
}
