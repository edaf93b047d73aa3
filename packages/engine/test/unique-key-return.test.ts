// A job back from a run (retry, release, worker lost) re-takes its unique key only if no other
// pending job took it while it ran: never two pending jobs with one key, and neither is lost.
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupDirs, memoryEngine } from './helpers.js'

afterEach(() => cleanupDirs())

describe('unique keys of jobs that come back from a run', () => {
  it('a retried job takes its key again when nobody holds it', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('u', { attempts: 3 })
    const a = await q.add({ n: 1 }, { key: 'k' })
    const lease = q.reserve()!
    await q.fail(lease, 'boom')
    expect(engine.getJob(a.id)?.info()).toMatchObject({ state: 'waiting', key: 'k' })
    expect((await q.add({ n: 2 }, { key: 'k' })).id).toBe(a.id)
    await engine.close()
  })

  it('a retried job gives its key up to the job added with it while it ran', async () => {
    const engine = await memoryEngine()
    const q = engine.queue('u', { attempts: 3 })
    const a = await q.add({ n: 1 }, { key: 'k' })
    const lease = q.reserve()!
    const b = await q.add({ n: 2 }, { key: 'k' })
    expect(b.id).not.toBe(a.id)
    await q.fail(lease, 'boom')
    const pending = q.jobs({ limit: 10 }).filter((j) => j.state === 'waiting' || j.state === 'delayed')
    expect(pending.map((j) => [j.id, j.key])).toEqual([[a.id, undefined], [b.id, 'k']])
    expect((await q.add({ n: 3 }, { key: 'k' })).id).toBe(b.id)
    await engine.close()
  })
})
