// Replay of jobs that were delayed (by `delay` or a retry backoff) and then ran: promotion from
// delayed to waiting is not logged, so the start record must carry it (groups and serial lanes too).
import { cpSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { Engine } from '@wq/engine'
import { cleanupDirs, recordingLogger, tempDir } from './helpers.js'

afterEach(() => cleanupDirs())

const open = (dir: string) => Engine.open({ dir, logger: recordingLogger(), snapshotEvery: false, closeTimeoutMs: 50 })

/** The directory as a kill -9 now would leave it (no close snapshot), opened by a new engine. */
async function crashImage(dir: string): Promise<Engine> {
  const image = tempDir()
  cpSync(dir, image, { recursive: true })
  return open(image)
}

describe('replay of delayed jobs that ran', () => {
  it('a serial lane held by a job retried after a backoff is free again once it succeeded', async () => {
    const dir = tempDir()
    const engine = await open(dir)
    const q = engine.queue('s', { serial: true, attempts: 3, backoff: { type: 'fixed', delay: 5 } })
    let runs = 0
    q.process(async (job) => {
      if (job.data === 1 && ++runs === 1) throw new Error('first run fails')
      return job.data
    })
    const first = await q.add(1, { group: 'g' })
    await expect(first.finished()).resolves.toBe(1)
    const after = await crashImage(dir)
    expect(after.getJob(first.id)?.info()).toMatchObject({ state: 'completed', attempts: 2 })
    // The lane is not blocked by a job that the log says succeeded.
    const sq = after.queue('s', { serial: true, attempts: 3, backoff: { type: 'fixed', delay: 5 } })
    sq.process(async (job) => job.data)
    const second = await sq.add(2, { group: 'g' })
    await expect(second.finished()).resolves.toBe(2)
    await after.close()
    await engine.close()
  })

  it('a grouped job in its retry backoff keeps the later jobs of its group waiting', async () => {
    const dir = tempDir()
    const engine = await open(dir)
    const q = engine.queue('g', { attempts: 3, backoff: { type: 'fixed', delay: 20 }, concurrency: 4 })
    const order: string[] = []
    let failed = false
    q.process(async (job) => {
      order.push(`start ${String(job.data)}`)
      if (job.data === 0 && !failed) {
        failed = true
        throw new Error('first run fails')
      }
      return job.data
    })
    const a = await q.add(0, { group: 'g' })
    const b = await q.add(1, { group: 'g' })
    await Promise.all([a.finished(), b.finished()])
    expect(order).toEqual(['start 0', 'start 0', 'start 1'])
    const after = await crashImage(dir)
    expect([a, b].map((j) => after.getJob(j.id)?.info()?.state)).toEqual(['completed', 'completed'])
    await after.close()
    await engine.close()
  })

  it('delayed grouped jobs that completed stay completed, and the group is not left running', async () => {
    const dir = tempDir()
    const engine = await open(dir)
    const q = engine.queue('g')
    q.process(async (job) => job.data)
    const jobs = [await q.add(1, { group: 'a', delay: 5 }), await q.add(2, { group: 'a', delay: 5 }), await q.add(3, { group: 'b' })]
    for (const j of jobs) await j.finished()
    const after = await crashImage(dir)
    expect(jobs.map((j) => after.getJob(j.id)?.info()?.state)).toEqual(['completed', 'completed', 'completed'])
    expect(after.queue('g').stats().counts).toMatchObject({ waiting: 0, delayed: 0, active: 0, completed: 3 })
    await after.close()
    await engine.close()
  })
})
